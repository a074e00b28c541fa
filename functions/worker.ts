import { createClient } from '@libsql/client/web';
import type { ExecutionContext } from 'hono';
import { createAccessTokens } from '../shared/access-tokens';
import type { Deps } from '../shared/api/context';
import { systemClock } from '../shared/clock';
import { COMMON_PASSWORDS_ASSET, createCommonPasswords } from '../shared/common-passwords';
import { type Config, ConfigError, loadConfig } from '../shared/config';
import { createDatabase } from '../shared/db/client';
import { createLinkTokens } from '../shared/link-tokens';
import { createLogger, describeError, logEvent } from '../shared/log';
import { createPasswordHasher } from '../shared/passwords';
import { createObjectStorage } from '../shared/storage';
import { sweep } from '../shared/sweep';
import { type AssetFetcher, createApp } from './app';

/**
 * The Cloudflare Workers entry: builds the dependencies from bindings and secrets
 * (libSQL over HTTP, aws4fetch) and hands them to the one app factory. A bad configuration answers every request 503 and logs what is wrong (names, never values):
 * the service never half-starts with a weak secret.
 */
export interface WorkerEnv {
  ENVIRONMENT?: string;
  PUBLIC_URL?: string;
  JWT_SECRET?: string;
  LINK_SECRET?: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  ACCESS_TOKEN_TTL_SECONDS?: string;
  BCRYPT_COST?: string;
  MAX_BODY_BYTES?: string;
  MAX_UPLOAD_BYTES?: string;
  UPLOAD_URL_TTL_SECONDS?: string;
  LINK_TTL_SECONDS?: string;
  DOWNLOAD_URL_TTL_SECONDS?: string;
  CORS_ORIGINS?: string;
  LOG_LEVEL?: string;
  DATABASE_URL?: string;
  DATABASE_AUTH_TOKEN?: string;
  S3_ENDPOINT?: string;
  S3_BUCKET?: string;
  S3_REGION?: string;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
  ASSETS?: AssetFetcher;
}

/**
 * What an isolate keeps between requests: plain values only (configuration, keys, a hash string).
 * Clients and the app are made per request: workerd cancels any continuation where a promise made
 * in one request is awaited in another, as a shared database client's request queue would be.
 */
interface Isolate {
  config: Config;
  shared: Pick<Deps, 'config' | 'clock' | 'passwords' | 'accessTokens' | 'linkTokens' | 'clientAddress' | 'log' | 'commonPasswords'>;
}
let isolate: Isolate | { problems: string[] } | undefined;

function prepare(env: WorkerEnv): Isolate | { problems: string[] } {
  if (isolate) return isolate;
  const { ASSETS: _assets, ...vars } = env;
  try {
    // Fail closed: a deployment that forgot ENVIRONMENT (wrangler environments do not inherit
    // [vars]) gets the production checks, not the development defaults.
    const config = loadConfig({ ...vars, ENVIRONMENT: vars.ENVIRONMENT || 'production' });
    isolate = {
      config,
      shared: {
        config,
        clock: systemClock,
        passwords: createPasswordHasher(config.bcryptCost),
        accessTokens: createAccessTokens({ ...config.jwt }),
        linkTokens: createLinkTokens({ secret: config.linkSecret, ttlSeconds: config.downloads.linkTtlSeconds }),
        // Set by Cloudflare's edge on every request; a client's own value is overwritten.
        clientAddress: (c) => c.req.header('cf-connecting-ip') ?? 'unknown',
        log: createLogger(config.logLevel),
        commonPasswords: createCommonPasswords(
          async () => {
            const res = await (env.ASSETS ?? { fetch: () => Promise.reject(new Error('no ASSETS binding')) }).fetch(
              new Request(`https://assets.local${COMMON_PASSWORDS_ASSET}`),
            );
            if (!res.ok) throw new Error(`common password list: ${res.status}`);
            return res.text();
          },
          (error) => createLogger(config.logLevel)('warn', { event: 'common_passwords_unavailable', error: String(error) }),
        ),
      },
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    isolate = { problems: error.problems };
  }
  return isolate;
}

function depsFor({ config, shared }: Isolate): Deps {
  const client = createClient({ url: config.database.url, authToken: config.database.authToken });
  return { ...shared, db: createDatabase(client), storage: createObjectStorage(config.storage) };
}

const misconfigured = (problems: string[]) => {
  logEvent('error', { event: 'misconfigured', problems });
  return new Response(
    JSON.stringify({
      type: 'about:blank',
      title: 'Service unavailable',
      status: 503,
      code: 'misconfigured',
      detail: 'The service is not configured correctly; the operator has been told why.',
    }),
    { status: 503, headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '60' } },
  );
};

export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Response | Promise<Response> {
    const prepared = prepare(env);
    if ('problems' in prepared) return misconfigured(prepared.problems);
    return createApp(depsFor(prepared), env.ASSETS ? { assets: env.ASSETS } : {}).fetch(request, env, ctx);
  },

  /** The cron trigger (wrangler.toml [triggers]): the same sweep as `npm run sweep`. */
  scheduled(_controller: unknown, env: WorkerEnv, ctx: ExecutionContext): void {
    const prepared = prepare(env);
    if ('problems' in prepared) {
      logEvent('error', { event: 'misconfigured', problems: prepared.problems });
      return;
    }
    const deps = depsFor(prepared);
    ctx.waitUntil(
      sweep(deps).then(
        (report) => deps.log('info', { event: 'sweep', ...report }),
        (error: unknown) => deps.log('error', { event: 'sweep_failed', error: describeError(error) }),
      ),
    );
  },
};
