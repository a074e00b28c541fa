import { createClient } from '@libsql/client/web';
import type { ExecutionContext } from 'hono';
import { type AssetFetcher, createApp } from '../functions/app';
import { afterResponseVia, createDeps, createServices, type Services } from '../shared/api/deps';
import { COMMON_PASSWORDS_ASSET } from '../shared/common-passwords';
import { type Config, type ConfigEnv, ConfigError, loadConfig } from '../shared/config';
import { describeError, logEvent } from '../shared/log';
import { sweep } from '../shared/sweep';

/**
 * The Cloudflare Workers entry: builds what differs on Workers (libSQL over HTTP, the caller's
 * address from CF-Connecting-IP, the assets binding) and hands it to the shared dependency
 * builder and the one app factory, like the Node entry (runtime/node.ts). A bad
 * configuration answers every request 503 and logs what is wrong (names, never values): the
 * service never half-starts with a weak secret.
 */
export type WorkerEnv = ConfigEnv & { ASSETS?: AssetFetcher };

/**
 * What an isolate keeps between requests: plain values and the services, none of which holds a
 * connection or a pending promise. Clients and the app are made per request: workerd cancels
 * any continuation where a promise made in one request is awaited in another, as a shared
 * database client's request queue would be.
 */
interface Isolate {
  config: Config;
  services: Services;
}
let isolate: Isolate | { problems: string[] } | undefined;

function prepare(env: WorkerEnv): Isolate | { problems: string[] } {
  if (isolate) return isolate;
  const { ASSETS: assets, ...vars } = env;
  try {
    const config = loadConfig({ ...vars, ENVIRONMENT: vars.ENVIRONMENT || 'production' });
    const services = createServices(config, {
      clientAddress: (c) => c.req.header('cf-connecting-ip') ?? 'unknown',
      readCommonPasswords: async () => {
        if (!assets) throw new Error('no ASSETS binding');
        const res = await assets.fetch(new Request(`https://assets.local${COMMON_PASSWORDS_ASSET}`));
        if (!res.ok) throw new Error(`common password list: ${res.status}`);
        return res.text();
      },
    });
    isolate = { config, services };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    isolate = { problems: error.problems };
  }
  return isolate;
}

let app: ReturnType<typeof createApp> | undefined;

/** Per request (or cron event): its own clients, and its own ExecutionContext to keep work alive after the response. */
const depsFor = ({ config, services }: Isolate, ctx: ExecutionContext) =>
  createDeps(
    services,
    createClient({ url: config.database.url, authToken: config.database.authToken }),
    afterResponseVia(services.log, (task) => ctx.waitUntil(task)),
  );

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
    // The app (routes, validators, middleware) is built once per isolate; only the clients are
    // made per request.
    app ??= createApp(prepared.services, {
      ...(env.ASSETS ? { assets: env.ASSETS } : {}),
      depsFor: (c) => depsFor(prepared, c.executionCtx),
    });
    return app.fetch(request, env, ctx);
  },

  /** The cron trigger (wrangler.toml [triggers]): the same sweep as `npm run sweep`. */
  scheduled(_controller: unknown, env: WorkerEnv, ctx: ExecutionContext): void {
    const prepared = prepare(env);
    if ('problems' in prepared) {
      logEvent('error', { event: 'misconfigured', problems: prepared.problems });
      return;
    }
    const deps = depsFor(prepared, ctx);
    ctx.waitUntil(
      sweep(deps).then(
        (report) => deps.log('info', { event: 'sweep', ...report }),
        (error: unknown) => deps.log('error', { event: 'sweep_failed', error: describeError(error) }),
      ),
    );
  },
};
