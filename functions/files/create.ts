import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, HEADERS, json, jsonBody, problem } from '../../shared/api/contract';
import { DOCUMENT_TYPES, documentTypeForFilename } from '../../shared/documents';
import { ApiError } from '../../shared/errors';
import { insertPendingFile, toPublicFile } from '../../shared/files';
import { File, FileExpiry, futureEnd } from '../../shared/schemas';

/**
 * Starts an upload: checks name, type and size, records a pending file under a random storage
 * key, and returns a presigned PUT that storage accepts only with exactly the declared content
 * type and length, until it expires. The bytes never pass through the API.
 */

// Control characters, path separators, and bidirectional overrides that disguise an extension.
// Half of a UTF-16 pair: no real name has one, and no encoding can carry it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const FORBIDDEN_IN_FILENAME = /[\u0000-\u001f\u007f-\u009f/\\\u202a-\u202e\u2066-\u2069]/;

const Filename = z
  .string()
  .transform((v) => v.normalize('NFC').trim())
  .pipe(
    z
      .string()
      .min(1, 'must not be empty')
      .max(255, 'must be at most 255 characters')
      .refine((v) => !FORBIDDEN_IN_FILENAME.test(v), 'must not contain control characters, path separators or direction overrides')
      .refine((v) => !LONE_SURROGATE.test(v), 'must be well-formed Unicode')
      .refine((v) => !/^\.+$/.test(v), 'must be a file name'),
  )
  .meta({
    description:
      'Shown to people and used for Content-Disposition only; never part of a storage key. Normalised to NFC and trimmed; not only dots; well-formed Unicode.',
    example: 'Q3 report.docx',
    minLength: 1,
    maxLength: 255,
    pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f/\\\\\\u202a-\\u202e\\u2066-\\u2069]+$',
  });

const CreateFileRequest = z
  .strictObject({
    filename: Filename,
    contentType: z.string().min(1).max(255).meta({ example: DOCUMENT_TYPES[0]?.contentType }),
    size: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).meta({ description: 'Exact size in bytes of what will be PUT.' }),
    expiresAt: FileExpiry.optional(),
  })
  .meta({ id: 'CreateFileRequest' });

const CreateFileResponse = z
  .object({
    file: File,
    upload: z.object({
      method: z.literal('PUT'),
      url: z.string(),
      headers: z.record(z.string(), z.string()).meta({ description: 'Send exactly these; they are signed into the URL.' }),
      expiresAt: z.iso.datetime(),
    }),
  })
  .meta({ id: 'CreateFileResponse' });

export const route = createRoute({
  method: 'post',
  path: '/api/files',
  operationId: 'createFile',
  tags: ['Files'],
  summary: 'Start an upload: a pending file and a presigned PUT URL straight to storage',
  description:
    'Checks the name, the type that goes with its extension and the size, records a pending file under a random storage key, and returns a presigned PUT that storage accepts only with exactly the declared content type and length, until it expires. The bytes never pass through the API; `complete` then verifies them.',
  ...access('ops', { jsonBody: true }),
  request: { body: jsonBody(CreateFileRequest) },
  responses: {
    201: json('The pending file and where to PUT its bytes.', CreateFileResponse, HEADERS.noStore),
    413: problem('The declared size is over the configured maximum, or the body is too large.', ['file_too_large', 'payload_too_large']),
    415: problem('Not a .docx, .pptx or .xlsx with its content type, or a body that is not JSON.', [
      'unsupported_file_type',
      'unsupported_media_type',
    ]),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const input = c.req.valid('json');
  const { config, db, storage, clock } = deps(c);

  const type = documentTypeForFilename(input.filename);
  if (!type) {
    throw new ApiError(415, 'unsupported_file_type', 'Only .docx, .pptx and .xlsx files can be uploaded.', {
      errors: [{ path: 'filename', message: 'must end in .docx, .pptx or .xlsx' }],
    });
  }
  const declaredType = input.contentType.split(';')[0]?.trim().toLowerCase();
  if (declaredType !== type.contentType) {
    throw new ApiError(415, 'unsupported_file_type', `A ${type.extension} file must be declared as ${type.contentType}.`, {
      errors: [{ path: 'contentType', message: `must be ${type.contentType}` }],
    });
  }
  if (input.size > config.uploads.maxBytes) {
    throw new ApiError(413, 'file_too_large', `Files can be at most ${config.uploads.maxBytes} bytes.`, {
      errors: [{ path: 'size', message: `must be at most ${config.uploads.maxBytes}` }],
    });
  }

  const now = clock.now();
  const expiresAt = input.expiresAt === undefined ? null : futureEnd(input.expiresAt, 'expiresAt', now);
  // Random, and nothing of the user's input: the filename is display data only.
  const storageKey = `files/${crypto.randomUUID()}`;
  const upload = await storage.presignPut(storageKey, {
    contentType: type.contentType,
    size: input.size,
    expiresInSeconds: config.uploads.urlTtlSeconds,
    now,
  });
  const row = await insertPendingFile(db, {
    id: crypto.randomUUID(),
    filename: input.filename,
    contentType: type.contentType,
    size: input.size,
    storageKey,
    uploadedBy: c.get('user').id,
    uploadExpiresAt: upload.expiresAt,
    createdAt: now,
    expiresAt,
  });
  c.header('Cache-Control', 'no-store');
  return c.json(
    {
      file: toPublicFile({ ...row, uploaderUsername: c.get('user').username }),
      upload: { method: 'PUT' as const, url: upload.url, headers: upload.headers, expiresAt: upload.expiresAt.toISOString() },
    },
    201,
  );
};
