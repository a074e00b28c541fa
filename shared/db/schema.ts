import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** The single source of truth for the database; `npm run db:generate` turns it into migrations/. */

export const ROLES = ['ops', 'client'] as const;
export type Role = (typeof ROLES)[number];

/**
 * `active`: may do what its role allows. `pending`: signed up, waiting for ops to approve it.
 * `unverified`: signed up, has not yet followed the link sent to its email. `disabled`: stopped by
 * ops; nothing it holds works. Only an active client sees files (shared/files.ts).
 */
export const USER_STATUSES = ['active', 'pending', 'unverified', 'disabled'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    /** Stored lower-case; the unique index is what settles racing sign-ups. */
    username: text('username').notNull(),
    /** Stored lower-case. */
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ROLES }).notNull(),
    /** Access tokens issued before this instant (ms) are refused: logout, password change. */
    tokensValidAfter: integer('tokens_valid_after', { mode: 'timestamp_ms' }).notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    status: text('status', { enum: USER_STATUSES }).notNull().default('active'),
    /** An ops account that may also invite and remove ops accounts (the first one is). */
    admin: integer('admin', { mode: 'boolean' }).notNull().default(false),
    /** A client's choice: an email when files are shared with it (gathered, see share_notices). */
    notifyShares: integer('notify_shares', { mode: 'boolean' }).notNull().default(true),
  },
  (t) => [
    uniqueIndex('users_username_unique').on(t.username),
    uniqueIndex('users_email_unique').on(t.email),
    index('users_role_status_idx').on(t.role, t.status, t.username),
    check('users_role_check', sql`${t.role} in ('ops', 'client')`),
    check('users_status_check', sql`${t.status} in ('active', 'pending', 'unverified', 'disabled')`),
    check('users_admin_is_ops', sql`${t.admin} = 0 or ${t.role} = 'ops'`),
    check('users_username_lower', sql`${t.username} = lower(${t.username})`),
    check('users_email_lower', sql`${t.email} = lower(${t.email})`),
  ],
);

export type UserRow = typeof users.$inferSelect;

export const FILE_STATUSES = ['pending', 'ready', 'rejected'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

export const files = sqliteTable(
  'files',
  {
    id: text('id').primaryKey(),
    /** Display only (and Content-Disposition); storage keys never derive from it. */
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    /** Random; the only name the object has in storage. */
    storageKey: text('storage_key').notNull(),
    status: text('status', { enum: FILE_STATUSES }).notNull(),
    rejectionReason: text('rejection_reason'),
    sharedWithAllClients: integer('shared_with_all_clients', { mode: 'boolean' }).notNull().default(false),
    uploadedBy: text('uploaded_by')
      .notNull()
      .references(() => users.id),
    /** When the presigned PUT stops working; a pending row past it is swept. */
    uploadExpiresAt: integer('upload_expires_at', { mode: 'timestamp_ms' }).notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    readyAt: integer('ready_at', { mode: 'timestamp_ms' }),
    /** The file's own end: after it no client sees it, and the sweep deletes it with its object. */
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }),
    /** The terms of "shared with all clients", while it is on: when it ends, and the downloads each client may make. */
    allClientsExpiresAt: integer('all_clients_expires_at', { mode: 'timestamp_ms' }),
    allClientsMaxDownloads: integer('all_clients_max_downloads'),
  },
  (t) => [
    uniqueIndex('files_storage_key_unique').on(t.storageKey),
    // Ops listing: newest first, keyset on (createdAt, id).
    index('files_created_idx').on(t.createdAt, t.id),
    // Client listing, the "shared with all clients" branch.
    index('files_shared_all_idx').on(t.status, t.sharedWithAllClients, t.createdAt, t.id),
    // The sweep: pending uploads past their expiry.
    index('files_pending_expiry_idx').on(t.status, t.uploadExpiresAt),
    // The sweep: files past their own expiry, and "all clients" past its end. Only rows with one.
    index('files_expiry_idx').on(t.expiresAt).where(sql`${t.expiresAt} is not null`),
    index('files_all_clients_expiry_idx').on(t.allClientsExpiresAt).where(sql`${t.allClientsExpiresAt} is not null`),
    check('files_status_check', sql`${t.status} in ('pending', 'ready', 'rejected')`),
    check('files_size_positive', sql`${t.size} > 0`),
  ],
);

export const fileGrants = sqliteTable(
  'file_grants',
  {
    fileId: text('file_id')
      .notNull()
      .references(() => files.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Copied from the file so a client's "granted to me" branch is served by one index, in order. */
    fileCreatedAt: integer('file_created_at', { mode: 'timestamp_ms' }).notNull(),
    /** When the grant ends (null: never); an ended grant shows nothing and the sweep removes it. */
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }),
    /** How many downloads the client may make under this grant (null: no limit). */
    maxDownloads: integer('max_downloads'),
  },
  (t) => [
    primaryKey({ columns: [t.fileId, t.userId] }),
    index('file_grants_user_idx').on(t.userId, t.fileCreatedAt, t.fileId),
    index('file_grants_expiry_idx').on(t.expiresAt).where(sql`${t.expiresAt} is not null`),
  ],
);

/**
 * Named sets of clients that ops share files with. Membership is read on every request, so a
 * client added to a group sees its files at once and one removed stops seeing them at once.
 */
export const clientGroups = sqliteTable(
  'client_groups',
  {
    id: text('id').primaryKey(),
    /** As ops typed it (NFC, trimmed, single spaces). */
    name: text('name').notNull(),
    /** The name lower-cased: its unique index makes names unique whatever their case. */
    nameKey: text('name_key').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('client_groups_name_key_unique').on(t.nameKey)],
);

export type ClientGroupRow = typeof clientGroups.$inferSelect;

export const groupMembers = sqliteTable(
  'group_members',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => clientGroups.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    addedAt: integer('added_at', { mode: 'timestamp_ms' }).notNull(),
  },
  // A client's groups (its list's group branch, and every visibility check) by the second index.
  (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index('group_members_user_idx').on(t.userId, t.groupId)],
);

/** A file shared with a group: every active member sees it, on the grant's terms. */
export const groupGrants = sqliteTable(
  'group_grants',
  {
    fileId: text('file_id')
      .notNull()
      .references(() => files.id, { onDelete: 'cascade' }),
    groupId: text('group_id')
      .notNull()
      .references(() => clientGroups.id, { onDelete: 'cascade' }),
    /** Copied from the file, as in file_grants: a group's files come from one index, newest first. */
    fileCreatedAt: integer('file_created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }),
    /** Per member: each may make this many downloads. */
    maxDownloads: integer('max_downloads'),
  },
  (t) => [
    primaryKey({ columns: [t.fileId, t.groupId] }),
    index('group_grants_group_idx').on(t.groupId, t.fileCreatedAt, t.fileId),
    index('group_grants_expiry_idx').on(t.expiresAt).where(sql`${t.expiresAt} is not null`),
    check('group_grants_max_downloads_positive', sql`${t.maxDownloads} is null or ${t.maxDownloads} >= 1`),
  ],
);

export type FileRow = typeof files.$inferSelect;

/** The audit of completed link redemptions. Kept when the file is deleted: it is a record. */
export const downloads = sqliteTable(
  'downloads',
  {
    id: text('id').primaryKey(),
    fileId: text('file_id').notNull(),
    userId: text('user_id').notNull(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    index('downloads_file_at_idx').on(t.fileId, t.at),
    // Download limits: how many times one client downloaded one file, and when it last did.
    index('downloads_file_user_idx').on(t.fileId, t.userId, t.at),
    // A user's recent downloads (ops' view of a client).
    index('downloads_user_at_idx').on(t.userId, t.at),
  ],
);

/**
 * Attempt counters shared by every stateless instance: failed logins per IP, per account and
 * per account-and-IP, sign-ups per IP. A row is forgotten once its window has passed.
 */
export const rateLimits = sqliteTable('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: integer('window_start').notNull(),
  count: integer('count').notNull(),
  lastAt: integer('last_at').notNull(),
});

/**
 * Mail waiting to go, written in the same batch as the event that causes it (an invitation, a
 * reset), so a message exists exactly when its event does. Delivery claims a row for a minute
 * (`claimed_until`) before sending, so two processes never send one message at once; a failure
 * moves `next_attempt_at` back by a growing delay. `kind` is a free label for the operator.
 */
export const outbox = sqliteTable(
  'outbox',
  {
    id: text('id').primaryKey(),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull(),
    /** Emptied once sent: a body may carry a one-time link, which has no business staying here. */
    textBody: text('text_body').notNull(),
    htmlBody: text('html_body').notNull(),
    kind: text('kind').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at', { mode: 'timestamp_ms' }).notNull(),
    claimedUntil: integer('claimed_until', { mode: 'timestamp_ms' }),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
    /** Why the last attempt failed, short: a status and an error type, never a credential or a body. */
    lastError: text('last_error'),
  },
  (t) => [
    // Delivery and the sweep: unsent messages by when they are due. Sent ones leave the index.
    index('outbox_due_idx').on(t.nextAttemptAt).where(sql`${t.sentAt} is null`),
  ],
);

export type OutboxRow = typeof outbox.$inferSelect;

/**
 * A signed-in device: what a refresh token continues. Access tokens name their session (`sid`),
 * and the guard refuses any whose session was ended. Idle and absolute limits are config.
 */
export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    /** The last refresh; the idle limit counts from it. */
    lastUsedAt: integer('last_used_at', { mode: 'timestamp_ms' }).notNull(),
    /** The absolute limit: no refresh after it, however active the session. */
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    revokedAt: integer('revoked_at', { mode: 'timestamp_ms' }),
    /** Why it ended: 'signed_out', 'signed_out_everywhere', 'password_changed', 'refresh_reused', … */
    revokedReason: text('revoked_reason'),
    /** For the account page: the browser or tool that signed in (truncated), never used for trust. */
    userAgent: text('user_agent').notNull().default(''),
  },
  (t) => [index('sessions_user_idx').on(t.userId, t.revokedAt)],
);

/**
 * Refresh tokens, by the SHA-256 of their value (the value itself is never stored). Each is used
 * once: refreshing marks it used and adds its successor; presenting a used one again ends the
 * whole session (it was copied).
 */
export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    hash: text('hash').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    usedAt: integer('used_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('refresh_tokens_session_idx').on(t.sessionId)],
);

export const ONE_TIME_PURPOSES = ['password_reset', 'email_verification'] as const;
export type OneTimePurpose = (typeof ONE_TIME_PURPOSES)[number];

/** Single-use tokens sent by email (reset, verification), by the SHA-256 of their value. */
export const oneTimeTokens = sqliteTable(
  'one_time_tokens',
  {
    hash: text('hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: ONE_TIME_PURPOSES }).notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    usedAt: integer('used_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('one_time_tokens_user_idx').on(t.userId, t.purpose)],
);

/** Invitations to sign up, each for one email address and one role, single use, by token hash. */
export const invitations = sqliteTable(
  'invitations',
  {
    id: text('id').primaryKey(),
    /** Stored lower-case. */
    email: text('email').notNull(),
    role: text('role', { enum: ROLES }).notNull(),
    tokenHash: text('token_hash').notNull(),
    invitedBy: text('invited_by').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    usedAt: integer('used_at', { mode: 'timestamp_ms' }),
    usedBy: text('used_by'),
    revokedAt: integer('revoked_at', { mode: 'timestamp_ms' }),
  },
  (t) => [
    uniqueIndex('invitations_token_unique').on(t.tokenHash),
    index('invitations_created_idx').on(t.createdAt, t.id),
    index('invitations_email_idx').on(t.email),
  ],
);

/**
 * What ops did to accounts and invitations, and what happened to sessions: who, when, to whom.
 * Names are copied in, so the record reads the same after an account is deleted.
 */
export const auditEvents = sqliteTable(
  'audit_events',
  {
    id: text('id').primaryKey(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
    /** Null when the system or the user themselves acted without an ops actor. */
    actorId: text('actor_id'),
    actorName: text('actor_name'),
    action: text('action').notNull(),
    targetId: text('target_id'),
    targetName: text('target_name'),
    /** A short JSON object of details; never a secret. */
    details: text('details').notNull().default('{}'),
  },
  (t) => [index('audit_events_at_idx').on(t.at, t.id), index('audit_events_target_idx').on(t.targetId, t.at)],
);

/**
 * Files a client gained access to and has not been told about yet. Written in the batch of the
 * change that gave the access (a share, a new membership, a completed upload); the sweep turns a
 * client's rows into one email once its oldest is a couple of minutes old, so several shares in
 * a row make one message.
 */
export const shareNotices = sqliteTable(
  'share_notices',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    fileId: text('file_id')
      .notNull()
      .references(() => files.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  // The sweep: the clients with a notice older than the gathering window, by this index.
  (t) => [primaryKey({ columns: [t.userId, t.fileId] }), index('share_notices_created_idx').on(t.createdAt, t.userId)],
);

/** The names of deleted accounts, so the download audit still says who downloaded. */
export const deletedUsers = sqliteTable('deleted_users', {
  id: text('id').primaryKey(),
  username: text('username').notNull(),
  deletedAt: integer('deleted_at', { mode: 'timestamp_ms' }).notNull(),
});
