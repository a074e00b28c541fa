import { DOCUMENT_TYPES, expansionCap, verifyOfficeDocument } from '../../shared/documents';
import { ApiError, notFound } from '../../shared/errors';
import { findFile, markReady, markRejected, toPublicFile } from '../../shared/files';
import { defineRoute, deps, factory, guard, pathParams } from '../../shared/http';
import { FileEnvelope, FileIdParams, Problem } from '../../shared/schemas';

/**
 * Verifies what storage holds (never what the request claims): the object's size equals the
 * declared size, and its bytes are a document of the declared type without macros. A refused
 * object is deleted and the file marked rejected; an accepted one is served from a copy that no
 * upload URL can overwrite.
 */
export const route = defineRoute({
  method: 'post',
  path: '/api/files/{id}/complete',
  operationId: 'completeFile',
  summary: 'Verify the uploaded bytes and mark the file ready',
  tags: ['Files'],
  access: 'ops',
  request: { params: FileIdParams },
  responses: {
    200: { description: 'The file, now `ready`.', schema: FileEnvelope },
    404: { description: 'No such file.', schema: Problem },
    409: { description: 'Nothing uploaded yet (`upload_missing`), or already completed (`already_completed`).', schema: Problem },
    422: {
      description:
        'The bytes are not a valid file of the declared type (`invalid_file_content`); the object was removed and the file is `rejected`.',
      schema: Problem,
    },
  },
});

export const handlers = factory.createHandlers(guard(route), pathParams(FileIdParams), async (c) => {
  const { id } = c.req.valid('param');
  const { db, storage, clock, config } = deps(c);
  const file = await findFile(db, id);
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
    if (!(await markReady(db, file.id, verifiedKey, now))) {
      const current = await findFile(db, file.id);
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
});
