import { useState } from 'preact/hooks';
import { ApiError } from '../../../api-client/client';
import { documentTypeForFilename } from '../../../shared/document-types';
import { call, client } from '../api';

export interface Upload {
  key: string;
  name: string;
  size: number;
  sent: number;
  state: 'uploading' | 'verifying' | 'ready' | 'rejected' | 'failed' | 'cancelled';
  message?: string;
  xhr?: XMLHttpRequest;
}

/** PUTs the bytes straight to storage with exactly the signed headers, reporting progress. */
function putToStorage(
  upload: { url: string; headers: Record<string, string> },
  file: File,
  onProgress: (sent: number) => void,
  onXhr: (xhr: XMLHttpRequest) => void,
) {
  return new Promise<void>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    onXhr(xhr);
    xhr.open('PUT', upload.url);
    // content-length is set by the browser from the body; it must (and does) equal the declared size.
    for (const [name, value] of Object.entries(upload.headers)) if (name !== 'content-length') xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => (xhr.status === 200 ? resolve() : reject(new Error(`Storage refused the upload (HTTP ${xhr.status}).`)));
    xhr.onerror = () => reject(new Error('The upload was interrupted.'));
    xhr.onabort = () => reject(new DOMException('cancelled', 'AbortError'));
    xhr.send(file);
  });
}

/**
 * Uploads, each one: a pending file from the API, the bytes straight to storage, then the API's
 * verification. `onSettled` runs after each upload that got as far as the API.
 */
export function useUploads(onSettled: () => Promise<void>) {
  const [uploads, setUploads] = useState<Upload[]>([]);

  const patch = (key: string, change: Partial<Upload>) => setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...change } : u)));

  const uploadOne = async (file: File) => {
    const key = `${file.name}-${crypto.randomUUID()}`;
    const base: Upload = { key, name: file.name, size: file.size, sent: 0, state: 'uploading' };
    setUploads((list) => [base, ...list]);
    const type = documentTypeForFilename(file.name);
    // Checked here for a quick answer; the API checks again, and verifies the bytes after.
    if (!type) return patch(key, { state: 'rejected', message: 'Only .docx, .pptx and .xlsx files can be uploaded.' });
    if (file.size === 0) return patch(key, { state: 'rejected', message: 'The file is empty.' });
    try {
      const started = await call(() =>
        client.api.files.$post({ json: { filename: file.name, contentType: type.contentType, size: file.size } }),
      );
      await putToStorage(
        started.upload,
        file,
        (sent) => patch(key, { sent }),
        (xhr) => patch(key, { xhr }),
      );
      patch(key, { state: 'verifying', sent: file.size });
      try {
        await call(() => client.api.files[':id'].complete.$post({ param: { id: encodeURIComponent(started.file.id) } }));
        patch(key, { state: 'ready' });
      } catch (e) {
        patch(key, { state: 'rejected', message: e instanceof ApiError ? e.message : 'Verification failed.' });
      }
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') patch(key, { state: 'cancelled' });
      else patch(key, { state: 'failed', message: e instanceof Error ? e.message : 'The upload failed.' });
    }
    await onSettled().catch(() => undefined);
  };

  const start = (list: FileList | null) => {
    for (const file of Array.from(list ?? [])) void uploadOne(file);
  };

  return { uploads, start };
}
