import { causes } from '../error-chain';

/**
 * Tells a database that cannot be reached (→ 503, retry later) from a bug in a query (→ 500).
 * drizzle wraps the libSQL error, which may wrap a fetch failure, so the cause chain is walked.
 * `SqliteError` is the engine's own, from Node's prepared-statement runner (runtime/node-sql.ts).
 */
const UNAVAILABLE_CODES = /^(SERVER_ERROR|HRANA_|HTTP_|WEBSOCKET_|SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|READONLY|NOTADB|CORRUPT))/;

export function isDatabaseUnavailable(error: unknown): boolean {
  for (const e of causes(error)) {
    const code = (e as { code?: unknown }).code;
    if ((e.name === 'LibsqlError' || e.name === 'SqliteError') && typeof code === 'string' && UNAVAILABLE_CODES.test(code)) return true;
    if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|UND_ERR_)/.test(code)) return true;
    if (e.name === 'TypeError' && /fetch failed|network/i.test(e.message)) return true;
  }
  return false;
}
