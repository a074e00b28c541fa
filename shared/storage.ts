import { AwsClient } from 'aws4fetch';
import { DependencyError } from './errors';

/**
 * S3-compatible object storage (R2, S3, or the local S3-protocol server) through aws4fetch.
 * Path-style URLs (`endpoint/bucket/key`), which R2, S3 and local servers all accept.
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

export interface ObjectStorage {
  /** Resolves when the bucket answers to our credentials; throws DependencyError otherwise. */
  ping(): Promise<void>;
}

export function createObjectStorage(options: StorageOptions): ObjectStorage {
  const aws = new AwsClient({
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    service: 's3',
    region: options.region,
  });
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5000;
  const bucketUrl = `${options.endpoint}/${encodeURIComponent(options.bucket)}`;

  async function send(url: string, init: RequestInit): Promise<Response> {
    let signed: Request;
    try {
      signed = await aws.sign(url, init);
    } catch (error) {
      throw new DependencyError('storage', error);
    }
    try {
      return await doFetch(signed, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new DependencyError('storage', error);
    }
  }

  return {
    async ping() {
      const res = await send(bucketUrl, { method: 'HEAD' });
      await res.body?.cancel();
      if (!res.ok) throw new DependencyError('storage', new Error(`bucket answered ${res.status}`));
    },
  };
}
