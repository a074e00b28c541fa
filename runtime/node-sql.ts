import Database from 'libsql';
import type { SqlRunner } from '../shared/db/prepared';

/**
 * Node's runner for the prepared hot queries on the embedded database: a connection of the same
 * libSQL engine the client uses, whose statements are prepared once and kept. The client would
 * prepare the SQL again on every call and build each row with two property definitions per cell;
 * here a row is the engine's array. The SQL is the text every runtime runs (shared/db/prepared.ts).
 *
 * It is a second connection to the file, beside the client's: both run under the pragmas below,
 * each statement commits on its own, and SQLite's locking orders their writes. Calls are
 * synchronous, as the client's are on this engine.
 */
export interface NativeRunner extends SqlRunner {
  close(): void;
}

export function nativeRunner(file: string, options: { busyTimeoutMs: number }): NativeRunner {
  const db = new Database(file, { timeout: options.busyTimeoutMs });
  // The same settings as the client's connection (runtime/node.ts).
  db.exec(
    `pragma journal_mode = wal; pragma synchronous = normal; pragma busy_timeout = ${options.busyTimeoutMs}; pragma foreign_keys = on;`,
  );
  const reads = new Map<string, ReturnType<typeof db.prepare>>();
  const writes = new Map<string, ReturnType<typeof db.prepare>>();
  const read = (sql: string) => {
    let stmt = reads.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql).raw(true);
      reads.set(sql, stmt);
    }
    return stmt;
  };
  const write = (sql: string) => {
    let stmt = writes.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      writes.set(sql, stmt);
    }
    return stmt;
  };
  return {
    rows: async (sql, args) => read(sql).all(args as unknown[]) as unknown[][],
    row: async (sql, args) => read(sql).get(args as unknown[]) as unknown[] | undefined,
    run: async (sql, args) => write(sql).run(args as unknown[]).changes,
    close: () => db.close(),
  };
}
