CREATE TABLE `file_grants` (
	`file_id` text NOT NULL,
	`user_id` text NOT NULL,
	`file_created_at` integer NOT NULL,
	PRIMARY KEY(`file_id`, `user_id`),
	FOREIGN KEY (`file_id`) REFERENCES `files`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `file_grants_user_idx` ON `file_grants` (`user_id`,`file_created_at`,`file_id`);--> statement-breakpoint
CREATE TABLE `files` (
	`id` text PRIMARY KEY NOT NULL,
	`filename` text NOT NULL,
	`content_type` text NOT NULL,
	`size` integer NOT NULL,
	`storage_key` text NOT NULL,
	`status` text NOT NULL,
	`rejection_reason` text,
	`shared_with_all_clients` integer DEFAULT false NOT NULL,
	`uploaded_by` text NOT NULL,
	`upload_expires_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`ready_at` integer,
	FOREIGN KEY (`uploaded_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "files_status_check" CHECK("files"."status" in ('pending', 'ready', 'rejected')),
	CONSTRAINT "files_size_positive" CHECK("files"."size" > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `files_storage_key_unique` ON `files` (`storage_key`);--> statement-breakpoint
CREATE INDEX `files_created_idx` ON `files` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `files_shared_all_idx` ON `files` (`status`,`shared_with_all_clients`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `files_pending_expiry_idx` ON `files` (`status`,`upload_expires_at`);