/**
 * `npm run ops:create -- --username alice --email alice@example.com`
 *
 * Creates an ops user: the only way one comes to exist (sign-up always creates clients). The
 * password is asked for without echo, or read from standard input when it is not a terminal
 * (`printf '%s\n' "$PW" | npm run ops:create -- ...`). Targets the local data folder, or the
 * database named by DATABASE_URL (+ DATABASE_AUTH_TOKEN).
 */
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { createClient } from '@libsql/client';
import { read } from 'read';
import { z } from 'zod';
import { readBcryptCost } from '../shared/config';
import { createDatabase } from '../shared/db/client';
import { ApiError } from '../shared/errors';
import { describeError } from '../shared/log';
import { createPasswordHasher } from '../shared/passwords';
import { Email, NewPassword, Username } from '../shared/schemas';
import { createUser } from '../shared/users';
import { commonPasswordList } from './lib/build';
import { migrateDatabase } from './lib/data-dir';
import { PROJECT_ROOT } from './lib/local-stack';

const usage = 'Usage: npm run ops:create -- --username NAME --email ADDRESS';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

let args: { username?: string; email?: string; help?: boolean };
try {
  args = parseArgs({
    options: { username: { type: 'string' }, email: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  }).values;
} catch (error) {
  fail(`${(error as Error).message}\n${usage}`);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) {
    const first = await read({ prompt: 'Password: ', silent: true, replace: '' });
    const again = await read({ prompt: 'Repeat password: ', silent: true, replace: '' });
    if (first !== again) fail('The passwords do not match.');
    return first;
  }
  const input = await text(process.stdin);
  return input.replace(/\r?\n$/, '');
}

const Input = z.object({ username: Username, email: Email, password: NewPassword });
const parsed = Input.safeParse({ username: args.username, email: args.email, password: await readPassword() });
if (!parsed.success) {
  fail(`${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('\n')}\n${usage}`);
}

if (new Set(commonPasswordList()).has(parsed.data.password.toLowerCase())) {
  fail('password: is one of the most common passwords; choose another');
}

const databaseUrl = process.env.DATABASE_URL ?? `file:${path.join(path.resolve(PROJECT_ROOT, process.env.DATA_DIR ?? '.data'), 'app.db')}`;
if (databaseUrl.startsWith('file:')) {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(path.dirname(databaseUrl.slice('file:'.length)), { recursive: true, mode: 0o700 });
  await migrateDatabase(databaseUrl);
}

let cost: number;
try {
  cost = readBcryptCost(process.env);
} catch (error) {
  fail((error as Error).message);
}

const client = createClient({ url: databaseUrl, authToken: process.env.DATABASE_AUTH_TOKEN });
try {
  const user = await createUser(createDatabase(client), {
    ...parsed.data,
    passwordHash: await createPasswordHasher(cost).hash(parsed.data.password),
    role: 'ops',
    // The accounts this tool makes are administrators: they may also invite and remove ops.
    admin: true,
    now: new Date(),
  });
  console.log(`Created ops user "${user.username}" (${user.email}), id ${user.id}.`);
} catch (error) {
  if (error instanceof ApiError) fail(error.detail);
  // Never the driver's message: drizzle puts the bound values, the password hash among them, in it.
  const { chain, message } = describeError(error);
  const missingTables = typeof message === 'string' && /no such table/i.test(message);
  fail(
    missingTables
      ? 'The database has no users table yet: apply the migrations first.'
      : `Could not create the user (${chain.map((c) => c.code ?? c.name).join(' < ')}${message ? `: ${message}` : ''}).`,
  );
} finally {
  client.close();
}
