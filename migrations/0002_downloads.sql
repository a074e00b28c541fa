CREATE TABLE `downloads` (
	`id` text PRIMARY KEY NOT NULL,
	`file_id` text NOT NULL,
	`user_id` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `downloads_file_at_idx` ON `downloads` (`file_id`,`at`);