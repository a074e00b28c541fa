import { createClient } from '@libsql/client/web';
import type { ExecutionContext } from 'hono';
import { createAccessTokens } from '../shared/access-tokens';
import { systemClock } from '../shared/clock';
import { loadConfig } from '../shared/config';
import { createDatabase } from '../shared/db/client';
import { createLinkTokens } from '../shared/link-tokens';
import { createPasswordHasher } from '../shared/passwords';
import { createObjectStorage } from '../shared/storage';
import { type App, type AssetFetcher, createApp } from './app';

/**
 * The Cloudflare Workers entry: builds the dependencies from bindings and secrets
 * (libSQL over HTTP, aws4fetch) and hands them to the one app factory. Built once per isolate;
 * a bad configuration fails every request with the reason in the log, never half-starts.
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

// Bindings and secrets are fixed for the life of an isolate, so the app is built once.
let cached: App | undefined;

function appFor(env: WorkerEnv): App {
  if (cached) return cached;
  const { ASSETS, ...vars } = env;
  // Fail closed: a deployment that forgot ENVIRONMENT (wrangler environments do not inherit
  // [vars]) gets the production checks, not the development defaults.
  const config = loadConfig({ ...vars, ENVIRONMENT: vars.ENVIRONMENT ?? 'production' });
  const client = createClient({ url: config.database.url, authToken: config.database.authToken });
  const app = createApp(
    {
      config,
      clock: systemClock,
      db: createDatabase(client),
      storage: createObjectStorage(config.storage),
      passwords: createPasswordHasher(config.bcryptCost),
      accessTokens: createAccessTokens({ ...config.jwt }),
      linkTokens: createLinkTokens({ secret: config.linkSecret, ttlSeconds: config.downloads.linkTtlSeconds }),
    },
    ASSETS ? { assets: ASSETS } : {},
  );
  cached = app;
  return app;
}

export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Response | Promise<Response> {
    return appFor(env).fetch(request, env, ctx);
  },
};
