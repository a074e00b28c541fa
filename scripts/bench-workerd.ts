/**
 * `npm run bench:workerd`: what a request costs the worker in workerd, the Workers runtime, as
 * the test suites run it (the worker bundle in miniflare, libSQL over HTTP from sqld, the
 * S3-protocol server). The figure is the workerd process's CPU time (from /proc) per request, over
 * 6 s of wrk at 8 connections after a 2 s warm-up, for a few hot paths. The database server's CPU is
 * not counted: on Workers it is Turso's. Linux and wrk only (see BENCHMARKS.md).
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createDatabase } from '../shared/db/client';
import { createPasswordHasher } from '../shared/passwords';
import { createUser } from '../shared/users';
import { startWorkerStack } from '../test/helpers/worker-stack';

const run = promisify(execFile);
const PASSWORD = 'bench passphrase 42';
const stack = await startWorkerStack();
try {
  const db = createDatabase(stack.sql);
  const hash = await createPasswordHasher(10).hash(PASSWORD);
  const ops = await createUser(db, {
    username: 'bench-ops',
    email: 'bench-ops@example.com',
    passwordHash: hash,
    role: 'ops',
    now: new Date(0),
  });
  const client = await createUser(db, {
    username: 'bench-client',
    email: 'bench-client@example.com',
    passwordHash: hash,
    role: 'client',
    now: new Date(0),
  });
  const login = await fetch(`${stack.apiUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bench-client', password: PASSWORD }),
  });
  const token = ((await login.json()) as { accessToken: string }).accessToken;
  const now = Date.now();
  const statements = [];
  let firstId = '';
  for (let n = 0; n < 200; n++) {
    const id = crypto.randomUUID();
    firstId ||= id;
    statements.push(
      {
        sql: "insert into files (id, filename, content_type, size, storage_key, status, shared_with_all_clients, uploaded_by, upload_expires_at, created_at, ready_at) values (?, ?, 'x', 1024, ?, 'ready', 0, ?, ?, ?, ?)",
        args: [id, `file-${n}.docx`, `files/${id}`, ops.id, now, now - n, now],
      },
      { sql: 'insert into file_grants (file_id, user_id, file_created_at) values (?, ?, ?)', args: [id, client.id, now - n] },
    );
  }
  await stack.sql.batch(statements, 'write');

  const pids = (await run('pgrep', ['-f', 'workerd serve'])).stdout.trim().split('\n').map(Number);
  const ticksPerSecond = 100;
  const cpuSeconds = () =>
    pids.reduce((total, pid) => {
      try {
        const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
        return total + (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
      } catch {
        return total;
      }
    }, 0);
  const script = path.join(await mkdtemp(path.join(tmpdir(), 'sfs-bench-workerd-')), 'auth.lua');
  writeFileSync(script, `wrk.headers["authorization"] = "Bearer ${token}"\n`);
  console.log(`workerd CPU per request (wrk, 8 connections, 6 s after 2 s of warm-up; pids ${pids.join(', ')})`);
  for (const [label, url] of [
    ['me', `${stack.apiUrl}/api/me`],
    ['get file', `${stack.apiUrl}/api/files/${firstId}`],
    ['list files (50)', `${stack.apiUrl}/api/files?limit=50`],
  ] as const) {
    await run('wrk', ['-t2', '-c8', '-d2s', '-s', script, url]);
    const before = cpuSeconds();
    const out = (await run('wrk', ['-t2', '-c8', '-d6s', '-s', script, url])).stdout;
    const spent = cpuSeconds() - before;
    const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
    const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
    console.log(
      `${label.padEnd(18)} ${String(requests).padStart(6)} requests  ${((spent * 1e6) / requests).toFixed(0).padStart(6)} CPU µs/request  errors ${errors}`,
    );
  }
} finally {
  await stack.close();
}
