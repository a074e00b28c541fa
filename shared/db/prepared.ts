import { type Column, is, Placeholder, SQL, sql } from 'drizzle-orm';
import { QueryBuilder, SQLiteAsyncDialect, type SQLiteColumn } from 'drizzle-orm/sqlite-core';

/**
 * The hot queries, prepared once: written with drizzle's query builder against the schema (so
 * their columns and types are the schema's), turned into SQL once at load, and run by a
 * `SqlRunner` that each runtime supplies. On Workers the runner is the libSQL client; on Node
 * it keeps native prepared statements (runtime/node-sql.ts). The SQL is the same text on both,
 * and a row is decoded by the same column mappers drizzle itself uses.
 *
 * Everything else goes through drizzle as before: this is for the few statements that run on
 * every request, where rebuilding and re-preparing the query cost more than running it.
 */

/** Runs one statement with positional arguments. Rows are arrays of driver values, in column order. */
export interface SqlRunner {
  rows(sql: string, args: readonly unknown[]): Promise<ArrayLike<unknown>[]>;
  /** The first row only, or undefined. */
  row(sql: string, args: readonly unknown[]): Promise<ArrayLike<unknown> | undefined>;
  /** A statement that returns no rows; the number of rows it changed. */
  run(sql: string, args: readonly unknown[]): Promise<number>;
}

/** The libSQL client as a runner: the Workers path, and Node's for a remote database. */
export function clientRunner(client: {
  execute(stmt: { sql: string; args: never[] }): Promise<{ rows: ArrayLike<unknown>[]; rowsAffected: number }>;
}): SqlRunner {
  return {
    rows: async (text, args) => (await client.execute({ sql: text, args: args as never[] })).rows,
    row: async (text, args) => (await client.execute({ sql: text, args: args as never[] })).rows[0],
    run: async (text, args) => (await client.execute({ sql: text, args: args as never[] })).rowsAffected,
  };
}

/** The query builder without a database: only for building SQL text. */
export const qb = new QueryBuilder();
const dialect = new SQLiteAsyncDialect();

type AnyPrepared = { name: string; sql: string; params: readonly string[]; columns?: readonly string[] };
const registry = new Map<string, AnyPrepared>();
function register<T extends AnyPrepared>(query: T): T {
  if (registry.has(query.name)) throw new Error(`two prepared queries are named "${query.name}"`);
  registry.set(query.name, query);
  return query;
}

/** Every prepared query the loaded modules made: the schema and query-plan tests go through them all. */
export const preparedQueries = () => [...registry.values()];

/** A named parameter of a prepared query. */
export const param = <Name extends string>(name: Name) => sql.placeholder(name);

type Decoder = { mapFromDriverValue(value: unknown): unknown } | null;
type Fields = Record<string, SQLiteColumn | SQL.Aliased>;
type FieldValues<F extends Fields> = {
  [K in keyof F]: F[K] extends Column ? (F[K]['_']['notNull'] extends true ? F[K]['_']['data'] : F[K]['_']['data'] | null) : unknown;
};

export interface PreparedSelect<P extends string, R> {
  readonly name: string;
  readonly sql: string;
  /** The argument names, in the order of the SQL's `?`. */
  readonly params: readonly P[];
  /** The result's column names, in order: the schema test compares them with what SQLite prepares. */
  readonly columns: readonly string[];
  all(runner: SqlRunner, args: Record<P, unknown>): Promise<R[]>;
  first(runner: SqlRunner, args: Record<P, unknown>): Promise<R | undefined>;
}

export interface PreparedRun<P extends string> {
  readonly name: string;
  readonly sql: string;
  readonly params: readonly P[];
  run(runner: SqlRunner, args: Record<P, unknown>): Promise<number>;
}

function paramsOf(query: { params: unknown[] }, sqlText: string): string[] {
  return query.params.map((p) => {
    if (!is(p, Placeholder)) {
      // A literal would be frozen into every execution; prepared queries take values only by name.
      throw new Error(`prepared query has a literal parameter (${JSON.stringify(p)}): use param(name) in: ${sqlText}`);
    }
    return p.name;
  });
}

const argsOf = (names: readonly string[], args: Record<string, unknown>) =>
  names.map((name) => {
    const value = args[name];
    if (value === undefined) throw new Error(`prepared query: missing argument "${name}"`);
    if (value instanceof Date) return value.getTime();
    if (typeof value === 'boolean') return value ? 1 : 0;
    return value;
  });

/**
 * A select, prepared: `fields` maps each result key to a column (decoded as the schema says) or
 * to an aliased SQL expression (returned as the driver gives it); `build` adds the rest to
 * drizzle's `select(fields)`.
 */
export function preparedSelect<F extends Fields, P extends string = string>(
  name: string,
  fields: F,
  build: (select: ReturnType<typeof qb.select<F>>) => { toSQL(): { sql: string; params: unknown[] } },
): PreparedSelect<P, FieldValues<F>> {
  return register(prepareRows<F, P>(name, fields, build(qb.select(fields)).toSQL()));
}

/**
 * The same for a query the builder cannot express (a union of subqueries): `build` receives the
 * select list made from `fields`, in their order (an aliased expression as `expr as "alias"`),
 * and returns the whole statement.
 */
export function preparedSelectSql<F extends Fields, P extends string = string>(
  name: string,
  fields: F,
  build: (selectList: SQL) => SQL,
): PreparedSelect<P, FieldValues<F>> {
  const list = sql.join(
    Object.values(fields).map((field) =>
      is(field, SQL.Aliased) ? sql`${field.sql} as ${sql.identifier(field.fieldAlias)}` : sql`${field}`,
    ),
    sql`, `,
  );
  return register(prepareRows<F, P>(name, fields, dialect.sqlToQuery(build(list))));
}

function prepareRows<F extends Fields, P extends string>(
  name: string,
  fields: F,
  query: { sql: string; params: unknown[] },
): PreparedSelect<P, FieldValues<F>> {
  const params = paramsOf(query, query.sql) as P[];
  const keys = Object.keys(fields);
  const decoders: Decoder[] = keys.map((k) => (is(fields[k], SQL.Aliased) ? null : (fields[k] as Column)));
  const columns = keys.map((k) => {
    const field = fields[k];
    return is(field, SQL.Aliased) ? field.fieldAlias : (field as Column).name;
  });
  const decode = (row: ArrayLike<unknown>) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) {
      const value = row[i];
      const decoder = decoders[i];
      out[keys[i] as string] = value === null || value === undefined || !decoder ? (value ?? null) : decoder.mapFromDriverValue(value);
    }
    return out as FieldValues<F>;
  };
  return {
    name,
    sql: query.sql,
    params,
    columns,
    async all(runner, args) {
      const rows = await runner.rows(query.sql, argsOf(params, args));
      const out = new Array<FieldValues<F>>(rows.length);
      for (let i = 0; i < rows.length; i++) out[i] = decode(rows[i] as ArrayLike<unknown>);
      return out;
    },
    async first(runner, args) {
      const row = await runner.row(query.sql, argsOf(params, args));
      return row ? decode(row) : undefined;
    },
  };
}

/** An insert, update or delete, prepared. */
export function preparedRun<P extends string = string>(
  name: string,
  statement: { toSQL(): { sql: string; params: unknown[] } } | SQL,
): PreparedRun<P> {
  const query = is(statement, SQL) ? dialect.sqlToQuery(statement) : statement.toSQL();
  const params = paramsOf(query, query.sql) as P[];
  return register({
    name,
    sql: query.sql,
    params,
    run: (runner, args) => runner.run(query.sql, argsOf(params, args)),
  });
}
