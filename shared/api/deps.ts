import type { Client } from '@libsql/client/web';
import type { Context } from 'hono';
import { createAccessTokens } from '../access-tokens';
import { type Clock, systemClock } from '../clock';
import { createCommonPasswords } from '../common-passwords';
import type { Config } from '../config';
import { createDatabase } from '../db/client';
import { clientRunner, type SqlRunner } from '../db/prepared';
import { createLinkTokens } from '../link-tokens';
import { createLogger, describeError, type Logger } from '../log';
import { createMailer } from '../mail';
import { createPasswordHasher } from '../passwords';
import { createObjectStorage } from '../storage';
import type { AppEnv, Deps } from './context';

/**
 * The one place the dependencies are assembled, for both runtimes. A runtime entry supplies
 * only what differs between them: the database client (embedded libSQL on Node, libSQL over
 * HTTP on Workers), how the caller's address is known, and how the common-password list is read.
 */
export interface RuntimeParts {
  clock?: Clock;
  clientAddress(c: Context<AppEnv>): string;
  /** The common-password list (a static asset), read on first use. */
  readCommonPasswords(): Promise<string>;
}

/** What holds no connection and no pending promise: kept for as long as the process or isolate. */
export type Services = Omit<Deps, 'db' | 'sql' | 'storage' | 'mailer' | 'afterResponse'>;

export function createServices(config: Config, parts: RuntimeParts): Services {
  const log = createLogger(config.logLevel);
  return {
    config,
    clock: parts.clock ?? systemClock,
    passwords: createPasswordHasher(config.bcryptCost),
    accessTokens: createAccessTokens({ ...config.jwt }),
    linkTokens: createLinkTokens({ secret: config.linkSecret, ttlSeconds: config.downloads.linkTtlSeconds }),
    clientAddress: parts.clientAddress,
    log,
    commonPasswords: createCommonPasswords(parts.readCommonPasswords, (error) =>
      log('warn', { event: 'common_passwords_unavailable', error: String(error) }),
    ),
  };
}

/**
 * The services plus the clients that talk to the database, storage and SES, and the way work
 * outlives the response. The prepared hot queries run through the database client too, unless
 * the runtime has a faster runner for the same database. On Workers these are made per request: workerd cancels a continuation
 * when a promise made in one request (a client's request queue) is awaited in another, and
 * only that request's ExecutionContext can keep its work alive.
 */
export function createDeps(
  services: Services,
  database: Client,
  afterResponse: Deps['afterResponse'],
  runner: SqlRunner = clientRunner(database),
): Deps {
  return {
    ...services,
    db: createDatabase(database),
    sql: runner,
    storage: createObjectStorage(services.config.storage),
    mailer: createMailer(services.config.mail),
    afterResponse,
  };
}

/**
 * `afterResponse` over what the runtime offers to keep a promise alive (`waitUntil` on Workers,
 * a tracked set on Node): the task's failure is logged, never left unhandled.
 */
export function afterResponseVia(log: Logger, keep: (task: Promise<void>) => void): Deps['afterResponse'] {
  return (task) =>
    keep(
      task.then(
        () => undefined,
        (error: unknown) => log('error', { event: 'after_response_failed', error: describeError(error) }),
      ),
    );
}
