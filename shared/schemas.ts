import { z } from 'zod';
import { FILE_STATUSES, ROLES, USER_STATUSES } from './db/schema';
import { ApiError } from './errors';
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS, utf8Length } from './passwords';

/** zod schemas shared by several endpoints; each validates requests and documents the API. */

export const Username = z
  .string()
  .trim()
  .toLowerCase()
  .min(3, 'must be at least 3 characters')
  .max(32, 'must be at most 32 characters')
  .regex(/^[a-z0-9._-]+$/, 'may contain only letters, digits, dot, underscore and hyphen')
  .meta({ description: '3–32 characters of [a-z0-9._-]; stored lower-case.', example: 'alice' });

export const Email = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email('must be an email address'))
  .transform((v) => v.toLowerCase())
  .meta({ description: 'Normalised to lower-case.', example: 'alice@example.com', format: 'email' });

export const NewPassword = z
  .string()
  .refine((v) => [...v].length >= PASSWORD_MIN_CHARS, `must be at least ${PASSWORD_MIN_CHARS} characters`)
  .refine((v) => utf8Length(v) <= PASSWORD_MAX_BYTES, `must be at most ${PASSWORD_MAX_BYTES} bytes in UTF-8`)
  .meta({
    description: `At least ${PASSWORD_MIN_CHARS} characters and at most ${PASSWORD_MAX_BYTES} bytes of UTF-8 (bcrypt's limit; never truncated). JSON Schema counts characters, not bytes: \`maxLength\` is the bound for ASCII, and \`x-max-utf8-bytes\` the rule for everything else.`,
    minLength: PASSWORD_MIN_CHARS,
    maxLength: PASSWORD_MAX_BYTES,
    'x-max-utf8-bytes': PASSWORD_MAX_BYTES,
  });

export const Role = z.enum(ROLES);
export const UserStatus = z.enum(USER_STATUSES).meta({
  description:
    '`active`; `pending`: waiting for ops to approve it; `unverified`: has not yet followed the link sent to its email; `disabled`: stopped by ops. Only an active client sees files.',
});

export const User = z
  .object({
    id: z.string(),
    username: z.string(),
    email: z.string(),
    role: Role,
    status: UserStatus,
    admin: z.boolean().meta({ description: 'Ops only: may also invite and remove ops accounts.' }),
    notifyShares: z.boolean().meta({
      description:
        'Clients: an email when files are shared with them (several shares in a few minutes make one). The client sets it (`PATCH /api/me`).',
    }),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'User' });

export const UserEnvelope = z.object({ user: User });

/** What signing in and refreshing answer. */
export const SessionTokens = z
  .object({
    accessToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().meta({ description: 'Seconds until the access token expires.' }),
    refreshToken: z.string().optional().meta({
      description: 'Only when asked for in the body (`refreshTokenIn: "body"`, or a refresh by body): keep it secret; it is used once.',
    }),
    sessionExpiresAt: z.iso.datetime().meta({ description: 'The session’s absolute limit; idle sessions end sooner.' }),
    user: User,
  })
  .meta({ id: 'SessionTokens' });

/** Letters and digits of any script, spaces and a little punctuation: names people read and type. */
const GROUP_NAME = /^[\p{L}\p{N}][\p{L}\p{M}\p{N} .,&'()+_-]*$/u;

export const GroupName = z
  .string()
  .transform((v) => v.normalize('NFC').trim().replace(/\s+/g, ' '))
  .pipe(
    z
      .string()
      .min(1, 'must not be empty')
      .max(64, 'must be at most 64 characters')
      .regex(GROUP_NAME, "must start with a letter or digit, and hold only letters, digits, spaces and . , & ' ( ) + _ -"),
  )
  .meta({
    description:
      "A client group’s name: 1–64 characters, NFC, trimmed, runs of spaces made one; letters and digits of any script, spaces and `.,&'()+_-`, starting with a letter or digit. Unique whatever the case.",
    example: 'Acme Corp',
    minLength: 1,
    maxLength: 64,
    // No `pattern`: the rule needs Unicode property classes (\p{L}), which JSON Schema's regular
    // expressions do not promise; the description states it.
  });

export const FileId = z.uuid().meta({ description: 'A file id.' });

/** A file's own end, as a request gives it; that it lies in the future is checked against the service's clock. */
export const FileExpiry = z.iso.datetime({ offset: true }).meta({
  description:
    'When the file itself ends (ISO 8601 with a zone; in the future): after it no client sees it, its links stop, and the sweep deletes it with its stored object. The download audit is kept.',
  example: '2030-06-30T00:00:00Z',
});

/** The end of a file, checked against `now`: a 400 naming `path` unless it is in the future. */
export function futureEnd(value: string, path: string, now: Date): Date {
  const end = new Date(value);
  if (end <= now) {
    throw new ApiError(400, 'validation_failed', 'The request has invalid fields.', {
      errors: [{ path, message: `must be in the future (it is now ${now.toISOString()})` }],
    });
  }
  return end;
}
export const FileIdParams = z.object({ id: FileId });

export const File = z
  .object({
    id: z.string(),
    filename: z.string(),
    contentType: z.string(),
    size: z.number().int(),
    status: z
      .enum(FILE_STATUSES)
      .meta({ description: '`pending`: upload URL issued; `ready`: verified; `rejected`: content failed checks.' }),
    rejectionReason: z.string().nullable().meta({ description: 'Why the content was rejected, for people to read; null otherwise.' }),
    sharedWithAllClients: z.boolean(),
    uploadedBy: z.object({ id: z.string(), username: z.string() }),
    createdAt: z.iso.datetime(),
    readyAt: z.iso.datetime().nullable(),
    expiresAt: z.iso
      .datetime()
      .nullable()
      .meta({ description: 'When the file itself ends: no client sees it after this, and the sweep deletes it. Null: never.' }),
    access: z
      .object({
        expiresAt: z.iso.datetime().nullable().meta({
          description:
            'When the caller’s access ends: the latest end of its grants in force, or the file’s own end if sooner. Null: no end.',
        }),
        downloadsRemaining: z
          .number()
          .int()
          .min(0)
          .nullable()
          .meta({ description: 'Downloads the caller may still make (the most generous grant in force counts). Null: no limit.' }),
      })
      .optional()
      .meta({ description: 'Clients only: the terms on which the caller sees the file.' }),
  })
  .meta({ id: 'File' });

export const FileEnvelope = z.object({ file: File });
