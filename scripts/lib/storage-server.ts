import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import Module, { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { assertPortFree, type RunningServer } from '../../runtime/node';

/** The local object storage: a real S3-protocol server, checking requests as S3 and R2 do. */

/**
 * @20minutes/s3rver 4.0.4's authentication middleware is looser than S3 and R2 in two ways. Its
 * module is loaded once from its source with both corrected, so the server checks requests
 * exactly as real S3 does: stricter, never looser.
 *
 * - It lets a request carrying no signature at all through, as if every bucket were public
 *   (`if (mechanismCount === 0) return next()`). S3 and R2 answer an anonymous request to a
 *   private bucket 403 AccessDenied. Left as it was, code that forgot to sign, or a test that
 *   reads storage without credentials, would pass here and fail in production, and anyone who
 *   can reach the local port could list, read, overwrite and delete every file. Now a request
 *   with no Authorization header and neither a SigV4 (X-Amz-Algorithm…X-Amz-Signature) nor a V2
 *   (Signature) query is refused 403 AccessDenied in S3's XML error format. CORS preflights
 *   (OPTIONS) are unsigned by nature, and the middleware lets them through before that point,
 *   as S3 does: the portal PUTs uploads and GETs downloads cross-origin.
 * - It canonicalises SigV4 query strings with encodeURIComponent, which leaves !'()* unencoded;
 *   SigV4 (and S3, R2, aws4fetch) encode them per RFC 3986. Every presigned GET whose
 *   response-content-disposition carries RFC 5987's `filename*=UTF-8''…` would be refused. The
 *   RFC 3986 encoder the module already ships is used instead.
 *
 * The first correction is a security property, so a module it does not recognise (another
 * release), or one loaded before the correction, stops the server from starting rather than
 * running it open. The second is dropped quietly by a release that fixed it.
 */
const CONFORMING = Symbol.for('secure-file-share.s3rver-conforming-authentication');

function loadConformingAuthentication(require: NodeJS.Require): void {
  const file = require.resolve('@20minutes/s3rver/lib/middleware/authentication');
  const cached = require.cache[file] as (NodeJS.Module & { [CONFORMING]?: true }) | undefined;
  if (cached?.[CONFORMING]) return;
  if (cached) throw new Error('@20minutes/s3rver was loaded before its authentication was corrected: it would accept unsigned requests.');
  let source = readFileSync(file, 'utf8');
  const anonymous = /if \(mechanismCount === 0\) \{\s*return next\(\);\s*\}/;
  if (!anonymous.test(source)) {
    throw new Error(
      `${file} is not the release this project corrects: check that it refuses unsigned requests, then update loadConformingAuthentication.`,
    );
  }
  source = source.replace(anonymous, "if (mechanismCount === 0) {\n      throw new S3Error('AccessDenied', 'Access Denied');\n    }");
  source = source.replace('[param, value].map(encodeURIComponent)', '[param, value].map(encodeURIComponentRFC3986)');
  const mod = new Module(file, undefined) as NodeJS.Module & { [CONFORMING]?: true };
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
  (mod as unknown as { _compile(code: string, filename: string): void })._compile(source, file);
  mod.loaded = true;
  mod[CONFORMING] = true;
  require.cache[file] = mod;
}

/**
 * The local bucket's CORS rule. Any origin, because the presigned URL itself is the credential
 * and the local ports vary; a production bucket allows only the service's own origin (README).
 */
const LOCAL_CORS = `<CORSConfiguration><CORSRule>
  <AllowedOrigin>*</AllowedOrigin>
  <AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>
  <AllowedHeader>*</AllowedHeader>
  <ExposeHeader>ETag</ExposeHeader>
  <MaxAgeSeconds>600</MaxAgeSeconds>
</CORSRule></CORSConfiguration>`;

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
interface S3rverModule {
  new (options: Record<string, unknown>): S3rverInstance;
}
interface AccountModule {
  DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void; revokeAccessKey(id: string): void };
}

/**
 * A real S3-protocol server that verifies SigV4 signatures and URL expiry (@20minutes/s3rver;
 * the original s3rver checks nothing). Its built-in S3RVER/S3RVER key is revoked and replaced by
 * the generated credentials, so only this stack's signatures are accepted.
 */
export async function startStorageServer(options: {
  directory: string;
  host: string;
  port: number;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}): Promise<RunningServer> {
  await assertPortFree(options.host, options.port, 'object storage');
  await mkdir(options.directory, { recursive: true, mode: 0o700 });
  const require = createRequire(import.meta.url);
  loadConformingAuthentication(require);
  const S3rver = require('@20minutes/s3rver') as S3rverModule;
  const accounts = require('@20minutes/s3rver/lib/models/account') as AccountModule;
  accounts.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
  accounts.DUMMY_ACCOUNT.createKeyPair(options.accessKeyId, options.secretAccessKey);
  const server = new S3rver({
    address: options.host,
    port: options.port,
    directory: options.directory,
    silent: true,
    vhostBuckets: false,
    // Browsers PUT uploads and GET downloads straight to storage: cross-origin from the portal.
    configureBuckets: [{ name: options.bucket, configs: [LOCAL_CORS] }],
  });
  const address = await server.run();
  return {
    url: `http://${options.host}:${address.port}`,
    port: address.port,
    close: () => server.close(),
  };
}
