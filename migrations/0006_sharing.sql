CREATE TABLE `client_groups` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`name_key` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `client_groups_name_key_unique` ON `client_groups` (`name_key`);--> statement-breakpoint
CREATE TABLE `group_grants` (
	`file_id` text NOT NULL,
	`group_id` text NOT NULL,
	`file_created_at` integer NOT NULL,
	`expires_at` integer,
	`max_downloads` integer,
	PRIMARY KEY(`file_id`, `group_id`),
	FOREIGN KEY (`file_id`) REFERENCES `files`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`group_id`) REFERENCES `client_groups`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "group_grants_max_downloads_positive" CHECK("group_grants"."max_downloads" is null or "group_grants"."max_downloads" >= 1)
);
--> statement-breakpoint
CREATE INDEX `group_grants_group_idx` ON `group_grants` (`group_id`,`file_created_at`,`file_id`);--> statement-breakpoint
CREATE INDEX `group_grants_expiry_idx` ON `group_grants` (`expires_at`) WHERE "group_grants"."expires_at" is not null;--> statement-breakpoint
CREATE TABLE `group_members` (
	`group_id` text NOT NULL,
	`user_id` text NOT NULL,
	`added_at` integer NOT NULL,
	PRIMARY KEY(`group_id`, `user_id`),
	FOREIGN KEY (`group_id`) REFERENCES `client_groups`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `group_members_user_idx` ON `group_members` (`user_id`,`group_id`);--> statement-breakpoint
ALTER TABLE `file_grants` ADD `expires_at` integer;--> statement-breakpoint
ALTER TABLE `file_grants` ADD `max_downloads` integer;--> statement-breakpoint
CREATE INDEX `file_grants_expiry_idx` ON `file_grants` (`expires_at`) WHERE "file_grants"."expires_at" is not null;--> statement-breakpoint
ALTER TABLE `files` ADD `expires_at` integer;--> statement-breakpoint
ALTER TABLE `files` ADD `all_clients_expires_at` integer;--> statement-breakpoint
ALTER TABLE `files` ADD `all_clients_max_downloads` integer;--> statement-breakpoint
CREATE INDEX `files_expiry_idx` ON `files` (`expires_at`) WHERE "files"."expires_at" is not null;--> statement-breakpoint
CREATE INDEX `files_all_clients_expiry_idx` ON `files` (`all_clients_expires_at`) WHERE "files"."all_clients_expires_at" is not null;--> statement-breakpoint
CREATE INDEX `downloads_file_user_idx` ON `downloads` (`file_id`,`user_id`,`at`);