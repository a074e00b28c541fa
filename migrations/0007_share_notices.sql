CREATE TABLE `share_notices` (
	`user_id` text NOT NULL,
	`file_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `file_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`file_id`) REFERENCES `files`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `share_notices_created_idx` ON `share_notices` (`created_at`,`user_id`);--> statement-breakpoint
ALTER TABLE `users` ADD `notify_shares` integer DEFAULT true NOT NULL;