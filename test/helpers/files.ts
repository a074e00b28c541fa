import { AwsClient } from 'aws4fetch';
import { createNodeDeps } from '../../runtime/node';
import type { Clock } from '../../shared/clock';
import { createDatabase } from '../../shared/db/client';
import { documentTypeForFilename } from '../../shared/document-types';
import { createPasswordHasher } from '../../shared/passwords';
import { type SweepReport, sweep } from '../../shared/sweep';
import { createUser } from '../../shared/users';
import type { ApiClient, ApiResponse } from './api';
import { type ApiStack, uniqueName } from './stack';

/** An ops user, made the way `npm run ops:create` makes one, signed in. */
export async function opsUser(stack: ApiStack, api: ApiClient, createdAt = new Date()) {
  const username = uniqueName('ops');
  const password = 'a long ops password';
  const user = await createUser(createDatabase(stack.sql), {
    username,
    email: `${username}@example.com`,
    passwordHash: await createPasswordHasher(10).hash(password),
    role: 'ops',
    admin: true,
    now: createdAt,
  });
  return { id: user.id, username, token: await api.login(username, password) };
}

export async function clientUser(api: ApiClient) {
  const username = uniqueName('client');
  const user = await api.signup(username);
  return { id: user.id, username, token: await api.login(username) };
}

export const contentTypeOf = (filename: string) => documentTypeForFilename(filename)?.contentType ?? 'application/octet-stream';

export interface Upload {
  file: { id: string; status: string; size: number; filename: string };
  upload: { method: 'PUT'; url: string; headers: Record<string, string>; expiresAt: string };
}

/** POST /api/files for these bytes. */
export function startUpload(api: ApiClient, token: string, filename: string, bytes: Uint8Array, overrides: Record<string, unknown> = {}) {
  return api.request<Upload>('POST', '/api/files', {
    token,
    json: { filename, contentType: contentTypeOf(filename), size: bytes.length, ...overrides },
  });
}

/** The bytes PUT to the presigned URL as a browser's fetch would: the body sets the length. */
export function putBytes(upload: Upload['upload'], bytes: Uint8Array, headers: Record<string, string> = {}) {
  const { 'content-length': _length, ...rest } = upload.headers;
  return fetch(upload.url, { method: 'PUT', headers: { ...rest, ...headers }, body: new Blob([bytes as Uint8Array<ArrayBuffer>]) });
}

/** Start, PUT, complete: the whole upload as an ops client does it. */
export async function uploadFile(
  api: ApiClient,
  token: string,
  filename: string,
  bytes: Uint8Array,
): Promise<{ id: string; complete: ApiResponse }> {
  const started = await startUpload(api, token, filename, bytes);
  if (started.status !== 201) throw new Error(`start failed: ${started.status} ${started.text}`);
  const put = await putBytes(started.body.upload, bytes);
  if (put.status !== 200) throw new Error(`PUT failed: ${put.status} ${await put.text()}`);
  const complete = await api.request('POST', `/api/files/${started.body.file.id}/complete`, { token });
  return { id: started.body.file.id, complete };
}

/** Storage as its owner sees it, with the stack's own credentials: for checking, not for the API. */
export function storageAdmin(stack: ApiStack) {
  const aws = new AwsClient({
    accessKeyId: stack.secrets.storageAccessKeyId,
    secretAccessKey: stack.secrets.storageSecretAccessKey,
    service: 's3',
    region: 'us-east-1',
  });
  const url = (key: string) => `${stack.storageUrl}/${stack.config.storage.bucket}/${key}`;
  return {
    async exists(key: string) {
      const res = await aws.fetch(url(key), { method: 'HEAD' });
      return res.status === 200;
    },
    async get(key: string) {
      const res = await aws.fetch(url(key));
      return res.status === 200 ? new Uint8Array(await res.arrayBuffer()) : null;
    },
    async put(key: string, bytes: Uint8Array) {
      const res = await aws.fetch(url(key), { method: 'PUT', body: new Blob([bytes as Uint8Array<ArrayBuffer>]) });
      if (!res.ok) throw new Error(`admin PUT ${res.status}`);
    },
  };
}

export async function storageKeyOf(stack: ApiStack, fileId: string): Promise<string> {
  const rows = await stack.sql.execute({ sql: 'select storage_key from files where id = ?', args: [fileId] });
  return String(rows.rows[0]?.storage_key);
}

/**
 * The sweep as `npm run sweep -- --orphan-age SECONDS` runs it, in this process: the stack's
 * database, storage and mail server, the system clock (not the stack's) unless one is given,
 * fresh connections closed after.
 */
export async function sweepNow(stack: ApiStack, orphanAgeSeconds = 0, clock?: Clock): Promise<SweepReport> {
  const deps = createNodeDeps(stack.config, clock);
  try {
    return await sweep(deps, { orphanAgeSeconds });
  } finally {
    deps.close();
  }
}
