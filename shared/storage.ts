import { AwsClient, AwsV4Signer } from 'aws4fetch';
import { DependencyError } from './errors';

/**
 * S3-compatible object storage (R2, S3, or the local S3-protocol server) through aws4fetch.
 * Path-style URLs (`endpoint/bucket/key`), which R2, S3 and local servers all accept.
 *
 * Presigning is pure computation (an HMAC over the request): issuing a URL costs no round trip.
 * Storage is contacted only to verify an upload, to delete, to list for the sweep, and by health.
 */
export interface StorageOptions {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Bound per request on Workers; the global fetch on Node. */
  fetch?: typeof fetch;
  /** How long a storage call may take before the dependency counts as down. */
  timeoutMs?: number;
}

export interface PresignedRequest {
  method: 'PUT' | 'GET';
  url: string;
  /** Headers the caller must send exactly as given: they are part of the signature. */
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface ObjectHead {
  size: number;
}

export interface ObjectStorage {
  /** Resolves when the bucket answers to our credentials; throws DependencyError otherwise. */
  ping(): Promise<void>;
  /** A PUT URL that only accepts exactly this content type and length, until it expires. */
  presignPut(key: string, options: { contentType: string; size: number; expiresInSeconds: number; now: Date }): Promise<PresignedRequest>;
  /** A GET URL for the object that makes the browser save it under `contentDisposition`. */
  presignGet(
    key: string,
    options: { contentDisposition: string; contentType: string; expiresInSeconds: number; now: Date },
  ): Promise<PresignedRequest>;
  /** The object's size, or null when there is no such object. */
  head(key: string): Promise<ObjectHead | null>;
  /** Bytes [start, start + length) of the object. */
  readRange(key: string, start: number, length: number): Promise<Uint8Array>;
  /**
   * Bytes [start, start + length) of the object as a stream, read as it is consumed: for
   * passes over large objects with flat memory. Stalling longer than the timeout between two
   * chunks fails the stream with a DependencyError.
   */
  readStream(key: string, start: number, length: number): Promise<ReadableStream<Uint8Array>>;
  /** Copies an object inside the bucket, server-side: no byte passes through the caller. */
  copy(sourceKey: string, targetKey: string): Promise<void>;
  /** Deletes the object; deleting a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** Every object under the prefix, page by page. */
  list(prefix: string): AsyncGenerator<{ key: string; lastModified: Date }>;
}

/** SigV4's X-Amz-Date form: 20261124T132500Z */
const amzDate = (date: Date) => date.toISOString().replace(/[-:]|\.\d{3}/g, '');

const objectPath = (key: string) => key.split('/').map(encodeURIComponent).join('/');

export function createObjectStorage(options: StorageOptions): ObjectStorage {
  const aws = new AwsClient({
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    service: 's3',
    region: options.region,
  });
  // Presigned URLs are signed with aws4fetch's signer itself: `AwsClient.sign` would also build a
  // Request, which a URL never needs (and which is much of a presign's cost). The signing keys,
  // derived once per day, are cached across calls.
  const signingKeys = new Map();
  const presign = async (url: URL, method: 'GET' | 'PUT', now: Date, headers?: Record<string, string>) =>
    (
      await new AwsV4Signer({
        url: url.toString(),
        method,
        ...(headers ? { headers } : {}),
        accessKeyId: options.accessKeyId,
        secretAccessKey: options.secretAccessKey,
        service: 's3',
        region: options.region,
        cache: signingKeys,
        datetime: amzDate(now),
        signQuery: true,
        // PUT: content-type and content-length are signed, so storage refuses other values.
        allHeaders: headers !== undefined,
      }).sign()
    ).url.toString();
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5000;
  const bucketUrl = `${options.endpoint}/${encodeURIComponent(options.bucket)}`;
  const objectUrl = (key: string) => `${bucketUrl}/${objectPath(key)}`;

  async function send(url: string, init: RequestInit, signal: AbortSignal = AbortSignal.timeout(timeoutMs)): Promise<Response> {
    let signed: Request;
    try {
      signed = await aws.sign(url, init);
    } catch (error) {
      throw new DependencyError('storage', error);
    }
    try {
      return await doFetch(signed, { signal });
    } catch (error) {
      throw new DependencyError('storage', error);
    }
  }

  const unexpected = async (res: Response, what: string) => {
    await res.body?.cancel();
    return new DependencyError('storage', new Error(`${what} answered ${res.status}`));
  };

  return {
    async ping() {
      const res = await send(bucketUrl, { method: 'HEAD' });
      if (!res.ok) throw await unexpected(res, 'bucket HEAD');
      await res.body?.cancel();
    },

    async presignPut(key, { contentType, size, expiresInSeconds, now }) {
      const url = new URL(objectUrl(key));
      // aws4fetch defaults to 24 h; the expiry must be in the query before signing.
      url.searchParams.set('X-Amz-Expires', String(expiresInSeconds));
      const headers = { 'content-type': contentType, 'content-length': String(size) };
      return {
        method: 'PUT',
        url: await presign(url, 'PUT', now, headers),
        headers,
        expiresAt: new Date(Math.floor(now.getTime() / 1000) * 1000 + expiresInSeconds * 1000),
      };
    },

    async presignGet(key, { contentDisposition, contentType, expiresInSeconds, now }) {
      const url = new URL(objectUrl(key));
      url.searchParams.set('X-Amz-Expires', String(expiresInSeconds));
      // Signed into the URL: storage itself answers with these headers, whoever asks.
      url.searchParams.set('response-content-disposition', contentDisposition);
      url.searchParams.set('response-content-type', contentType);
      url.searchParams.set('response-cache-control', 'no-store');
      return {
        method: 'GET',
        url: await presign(url, 'GET', now),
        headers: {},
        expiresAt: new Date(Math.floor(now.getTime() / 1000) * 1000 + expiresInSeconds * 1000),
      };
    },

    async head(key) {
      const res = await send(objectUrl(key), { method: 'HEAD' });
      await res.body?.cancel();
      if (res.status === 404) return null;
      if (!res.ok) throw await unexpected(res, 'object HEAD');
      const size = Number(res.headers.get('content-length'));
      if (!Number.isSafeInteger(size) || size < 0) throw new DependencyError('storage', new Error('HEAD without a usable Content-Length'));
      return { size };
    },

    async readRange(key, start, length) {
      if (length <= 0) return new Uint8Array(0);
      const res = await send(objectUrl(key), { method: 'GET', headers: { range: `bytes=${start}-${start + length - 1}` } });
      // A server that ignores Range would send the whole object: never buffer that.
      if (res.status !== 206) throw await unexpected(res, 'ranged GET');
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (bytes.length > length) throw new DependencyError('storage', new Error('ranged GET returned more than asked'));
      return bytes;
    },

    async readStream(key, start, length) {
      if (length <= 0) return new ReadableStream({ start: (controller) => controller.close() });
      // A timeout for the whole body would cut a long read short: it is restarted at every chunk.
      const abort = new AbortController();
      let timer = setTimeout(() => abort.abort(new Error('storage stalled')), timeoutMs);
      const res = await send(
        objectUrl(key),
        { method: 'GET', headers: { range: `bytes=${start}-${start + length - 1}` } },
        abort.signal,
      ).catch((error) => {
        clearTimeout(timer);
        throw error;
      });
      if (res.status !== 206 || !res.body) {
        clearTimeout(timer);
        throw await unexpected(res, 'ranged GET');
      }
      const reader = res.body.getReader();
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const { done, value } = await reader.read();
            clearTimeout(timer);
            if (done) return controller.close();
            timer = setTimeout(() => abort.abort(new Error('storage stalled')), timeoutMs);
            controller.enqueue(value);
          } catch (error) {
            clearTimeout(timer);
            controller.error(new DependencyError('storage', error));
          }
        },
        async cancel() {
          clearTimeout(timer);
          await reader.cancel().catch(() => undefined);
        },
      });
    },

    async copy(sourceKey, targetKey) {
      const res = await send(objectUrl(targetKey), {
        method: 'PUT',
        headers: { 'x-amz-copy-source': `/${encodeURIComponent(options.bucket)}/${objectPath(sourceKey)}` },
      });
      // S3 can answer 200 and still report an error in the body.
      const body = await res.text();
      if (res.status === 404 || /<Code>NoSuchKey<\/Code>/.test(body))
        throw new DependencyError('storage', new Error('copy source vanished'));
      if (!res.ok || !/<CopyObjectResult/.test(body)) throw new DependencyError('storage', new Error(`copy answered ${res.status}`));
    },

    async delete(key) {
      const res = await send(objectUrl(key), { method: 'DELETE' });
      await res.body?.cancel();
      if (!res.ok && res.status !== 404) throw await unexpected(res, 'DELETE');
    },

    async *list(prefix) {
      let token: string | undefined;
      do {
        const url = new URL(bucketUrl);
        url.searchParams.set('list-type', '2');
        url.searchParams.set('prefix', prefix);
        if (token) url.searchParams.set('continuation-token', token);
        const res = await send(url.toString(), { method: 'GET' });
        if (!res.ok) throw await unexpected(res, 'list');
        const xml = await res.text();
        for (const [, contents = ''] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
          const key = /<Key>([^<]*)<\/Key>/.exec(contents)?.[1];
          const lastModified = Date.parse(/<LastModified>([^<]*)<\/LastModified>/.exec(contents)?.[1] ?? '');
          // Unknown age counts as new: the sweep never deletes what it cannot date.
          if (key !== undefined)
            yield { key: decodeXml(key), lastModified: Number.isNaN(lastModified) ? new Date() : new Date(lastModified) };
        }
        token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
          ? decodeXml(/<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1] ?? '') || undefined
          : undefined;
      } while (token);
    },
  };
}

function decodeXml(value: string): string {
  return value.replace(
    /&(lt|gt|amp|quot|apos);/g,
    (_, entity: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[entity] ?? '',
  );
}
