import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { type AppEnv, deps } from '../../shared/api/context';
import { access, json, Problem, problem } from '../../shared/api/contract';
import { DOCUMENT_TYPES, expansionCap, verifyOfficeDocument } from '../../shared/documents';
import { ApiError, notFound } from '../../shared/errors';
import { findFile, markReadyStatement, markRejected, toPublicFile } from '../../shared/files';
import { File, FileEnvelope, FileIdParams } from '../../shared/schemas';
import { noticesOnceReady } from '../../shared/share-notices';

/**
 * Verifies what storage holds (never what the request claims): the object's size equals the
 * declared size, and its bytes are a document of the declared type without macros. A refused
 * object is deleted and the file marked rejected; an accepted one is served from a copy that no
 * upload URL can overwrite.
 */
export const route = createRoute({
  method: 'post',
  path: '/api/files/{id}/complete',
  operationId: 'completeFile',
  tags: ['Files'],
  summary: 'Verify the uploaded bytes and mark the file ready',
  description:
    'Verifies what storage holds, never what the request claims: the size, and that the bytes are a document of the declared type with no macros, ActiveX, OLE objects, external targets or DDE, in a well-formed package (see the README for the full list). A refused object is deleted and the file marked `rejected`; an accepted one is served from a copy that no upload URL can overwrite.',
  ...access('ops'),
  request: { params: FileIdParams },
  responses: {
    200: json('The file, now `ready`.', FileEnvelope),
    404: problem('No such file.', ['not_found']),
    409: problem('Nothing uploaded yet (or the upload expired), or the upload was already completed.', [
      'upload_missing',
      'already_completed',
    ]),
    422: problem(
      'The bytes are not a valid file of the declared type; the object was removed and the file, included as `file`, is `rejected`.',
      ['invalid_file_content'],
      undefined,
      Problem.extend({ file: File }),
    ),
  },
});

export const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { id } = c.req.valid('param');
  const { db, sql, storage, clock, config } = deps(c);
  const file = await findFile(sql, id);
  if (!file) throw notFound();
  if (file.status !== 'pending') {
    throw new ApiError(409, 'already_completed', `The upload was already completed; the file is ${file.status}.`);
  }
  const uploadKey = file.storageKey;
  if (!(await storage.head(uploadKey))) {
    throw new ApiError(409, 'upload_missing', 'Nothing has been uploaded to the upload URL yet; nothing was changed.');
  }

  // The upload URL stays valid for minutes after this, so the bytes are frozen first: copied,
  // inside storage, to a key no URL was ever signed for. That copy is what gets verified and
  // served; whatever is PUT to the upload URL later is an orphan the sweep removes.
  const verifiedKey = `files/${crypto.randomUUID()}`;
  await storage.copy(uploadKey, verifiedKey);
  let kept = false;
  try {
    const head = await storage.head(verifiedKey);
    const type = DOCUMENT_TYPES.find((t) => t.contentType === file.contentType);
    const verdict =
      !head || head.size !== file.size
        ? { ok: false as const, reason: `The stored object is ${head?.size ?? 0} bytes, not the declared ${file.size}.` }
        : type
          ? await verifyOfficeDocument(
              {
                size: head.size,
                read: (offset, length) => storage.readRange(verifiedKey, offset, length),
                stream: (offset, length) => storage.readStream(verifiedKey, offset, length),
              },
              type,
              { maxExpandedBytes: expansionCap(head.size, config.uploads.maxExpandedBytes) },
            )
          : { ok: false as const, reason: 'The declared content type is not accepted.' };

    if (!verdict.ok) {
      // Objects first: if storage fails here the row stays pending and completion can be retried.
      await storage.delete(uploadKey);
      await markRejected(db, file.id, verdict.reason);
      throw new ApiError(422, 'invalid_file_content', verdict.reason, {
        extensions: { file: toPublicFile({ ...file, status: 'rejected', rejectionReason: verdict.reason }) },
      });
    }

    const now = clock.now();
    // Shared while it was pending: whoever sees it now that it is ready is told, in the same batch.
    const [ready] = await db.batch([markReadyStatement(db, file.id, verifiedKey, now), noticesOnceReady(db, file.id, now)]);
    if (ready.rowsAffected !== 1) {
      const current = await findFile(sql, file.id);
      if (current?.status === 'pending') {
        throw new ApiError(409, 'upload_missing', 'The upload expired before it was completed; start a new one.');
      }
      throw new ApiError(409, 'already_completed', 'The upload was completed by another request.');
    }
    kept = true;
    await storage.delete(uploadKey).catch(() => undefined); // else an orphan for the sweep
    return c.json({ file: toPublicFile({ ...file, storageKey: verifiedKey, status: 'ready', readyAt: now }) }, 200);
  } finally {
    if (!kept) await storage.delete(verifiedKey).catch(() => undefined); // else an orphan for the sweep
  }
};
