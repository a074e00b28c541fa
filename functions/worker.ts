import { createClient } from '@libsql/client/web';
import type { ExecutionContext } from 'hono';
import { createAccessTokens } from '../shared/access-tokens';
import { systemClock } from '../shared/clock';
import { ConfigError, loadConfig } from '../shared/config';
import { createDatabase } from '../shared/db/client';
import type { Deps } from '../shared/http';
import { createLinkTokens } from '../shared/link-tokens';
import { describeError, logEvent } from '../shared/log';
import { createPasswordHasher } from '../shared/passwords';
import { createObjectStorage } from '../shared/storage';
import { sweep } from '../shared/sweep';
import { type App, type AssetFetcher, createApp } from './app';

/**
 * The Cloudflare Workers entry: builds the dependencies from bindings and secrets
 * (libSQL over HTTP, aws4fetch) and hands them to the one app factory. Built once per isolate.
 * A bad configuration answers every request 503 and logs what is wrong (names, never values):
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
  DATABASE_URL?: string;
  DATABASE_AUTH_TOKEN?: string;
  S3_ENDPOINT?: string;
  S3_BUCKET?: string;
  S3_REGION?: string;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
  ASSETS?: AssetFetcher;
}

// Bindings and secrets are fixed for the life of an isolate, so everything is built once.
let built: { deps: Deps; app: App } | { problems: string[] } | undefined;

function build(env: WorkerEnv) {
  if (built) return built;
  const { ASSETS, ...vars } = env;
  try {
    // Fail closed: a deployment that forgot ENVIRONMENT (wrangler environments do not inherit
    // [vars]) gets the production checks, not the development defaults.
    const config = loadConfig({ ...vars, ENVIRONMENT: vars.ENVIRONMENT || 'production' });
    const client = createClient({ url: config.database.url, authToken: config.database.authToken });
    const deps: Deps = {
      config,
      clock: systemClock,
      db: createDatabase(client),
      storage: createObjectStorage(config.storage),
      passwords: createPasswordHasher(config.bcryptCost),
      accessTokens: createAccessTokens({ ...config.jwt }),
      linkTokens: createLinkTokens({ secret: config.linkSecret, ttlSeconds: config.downloads.linkTtlSeconds }),
      // Set by Cloudflare's edge on every request; a client's own value is overwritten.
      clientAddress: (c) => c.req.header('cf-connecting-ip') ?? 'unknown',
    };
    built = { deps, app: createApp(deps, ASSETS ? { assets: ASSETS } : {}) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    built = { problems: error.problems };
  }
  return built;
}

const misconfigured = (problems: string[]) => {
  logEvent('error', { event: 'misconfigured', problems });
  return new Response(
    JSON.stringify({ type: 'about:blank', title: 'Service unavailable', status: 503, code: 'misconfigured', detail: 'The service is not configured correctly; the operator has been told why.' }),
    { status: 503, headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '60' } },
  );
};

export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Response | Promise<Response> {
    const b = build(env);
    return 'problems' in b ? misconfigured(b.problems) : b.app.fetch(request, env, ctx);
  },

  /** The cron trigger (wrangler.toml [triggers]): the same sweep as `npm run sweep`. */
  scheduled(_controller: unknown, env: WorkerEnv, ctx: ExecutionContext): void {
    const b = build(env);
    if ('problems' in b) {
      logEvent('error', { event: 'misconfigured', problems: b.problems });
      return;
    }
    ctx.waitUntil(
      sweep(b.deps).then(
        (report) => logEvent('info', { event: 'sweep', ...report }),
        (error: unknown) => logEvent('error', { event: 'sweep_failed', error: describeError(error) }),
      ),
    );
  },
};
