/**
 * `npm run bench`: how the API performs on this machine, as ratios measured in one run.
 *
 * The service (Node entry, libSQL file, S3-protocol server) and a floor (a bare Hono app with a
 * constant JSON answer, same server adapter) run in their own processes; autocannon drives them
 * from this one over loopback. Prints one table and writes bench/results.json.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Client, createClient } from '@libsql/client';
import autocannon from 'autocannon';
import { AwsClient } from 'aws4fetch';
import bcrypt from 'bcryptjs';
import { createDatabase } from '../shared/db/client';
import { createPasswordHasher } from '../shared/passwords';
import { createUser } from '../shared/users';
import { buildWorker } from './lib/build';
import { PROJECT_ROOT } from './lib/local-stack';

const CONNECTIONS = 64;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

interface ServerInfo {
  apiUrl: string;
  storageUrl: string;
  databaseUrl: string;
  bucket: string;
  bcryptCost: number;
  secrets: { storageAccessKeyId: string; storageSecretAccessKey: string };
}

function start<T>(script: string): Promise<{ child: ChildProcess; info: T }> {
  const child = fork(path.join(PROJECT_ROOT, 'scripts', script), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (info) => resolve({ child, info: info as T }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

const ask = <T>(child: ChildProcess, message: string) =>
  new Promise<T>((resolve) => {
    child.once('message', (reply) => resolve(reply as T));
    child.send(message);
  });

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(
  url: string,
  options: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; connections?: number; amount?: number } = {},
): Promise<Load> {
  const result = await autocannon({
    url,
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    ...(options.body ? { body: options.body } : {}),
    connections: options.connections ?? CONNECTIONS,
    ...(options.amount ? { amount: options.amount } : { duration: SECONDS }),
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

/** Ready files for one client (granted), inserted through the database in batches. */
async function seedFiles(sql: Client, opts: { count: number; start: number; uploadedBy: string; grantTo: (i: number) => string | null }) {
  const now = Date.now();
  for (let from = 0; from < opts.count; from += 500) {
    const statements = [];
    for (let i = from; i < Math.min(from + 500, opts.count); i++) {
      const n = opts.start + i;
      const id = crypto.randomUUID();
      const created = now - 10_000_000 + n;
      statements.push({
        sql: 'insert into files (id, filename, content_type, size, storage_key, status, shared_with_all_clients, uploaded_by, upload_expires_at, created_at, ready_at) values (?, ?, ?, 1024, ?, ?, 0, ?, ?, ?, ?)',
        args: [id, `file-${n}.docx`, DOCX, `files/${crypto.randomUUID()}`, 'ready', opts.uploadedBy, created, created, created],
      });
      const grantee = opts.grantTo(n);
      if (grantee)
        statements.push({
          sql: 'insert into file_grants (file_id, user_id, file_created_at) values (?, ?, ?)',
          args: [id, grantee, created],
        });
    }
    await sql.batch(statements, 'write');
  }
}

async function seedClients(sql: Client, count: number, hash: string): Promise<string[]> {
  const ids: string[] = [];
  for (let from = 0; from < count; from += 1000) {
    const statements = [];
    for (let i = from; i < Math.min(from + 1000, count); i++) {
      const id = crypto.randomUUID();
      ids.push(id);
      statements.push({
        sql: "insert into users (id, username, email, password_hash, role, tokens_valid_after, created_at) values (?, ?, ?, ?, 'client', 0, 0)",
        args: [id, `seed-${i}`, `seed-${i}@example.com`, hash],
      });
    }
    await sql.batch(statements, 'write');
  }
  return ids;
}

const timed = async (f: () => Promise<unknown>) => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};

async function main() {
  const started = performance.now();
  const floorProc = await start<{ url: string }>('bench-floor.ts');
  const server = await start<ServerInfo>('bench-server.ts');
  const { apiUrl } = server.info;
  const sql = createClient({ url: server.info.databaseUrl });
  const db = createDatabase(sql);
  const hasher = createPasswordHasher(server.info.bcryptCost);
  const password = 'bench passphrase 42';
  const hash = await hasher.hash(password);
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
  const loginAs = async (username: string) => {
    const res = await fetch(`${apiUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    return ((await res.json()) as { accessToken: string }).accessToken;
  };
  const [opsToken, clientToken] = [await loginAs('bench-ops'), await loginAs('bench-client')];
  await seedFiles(sql, { count: 1000, start: 0, uploadedBy: ops.id, grantTo: () => client.id });
  const page = (await (await fetch(`${apiUrl}/api/files?limit=50`, { headers: { authorization: `Bearer ${clientToken}` } })).json()) as {
    items: Array<{ id: string }>;
  };
  const fileId = page.items[0]?.id ?? '';
  const link = (
    (await (
      await fetch(`${apiUrl}/api/files/${fileId}/download-link`, { method: 'POST', headers: { authorization: `Bearer ${clientToken}` } })
    ).json()) as { downloadLink: string }
  ).downloadLink;
  const auth = { authorization: `Bearer ${clientToken}` };

  // Throughput at 64 connections, each path against the floor.
  const floor = await load(floorProc.info.url);
  const rows: Record<string, Load> = {
    me: await load(`${apiUrl}/api/me`, { headers: auth }),
    'list files (50)': await load(`${apiUrl}/api/files?limit=50`, { headers: auth }),
    'get file': await load(`${apiUrl}/api/files/${fileId}`, { headers: auth }),
    'issue link': await load(`${apiUrl}/api/files/${fileId}/download-link`, { method: 'POST', headers: auth }),
    'redeem link (JSON)': await load(link, { headers: { ...auth, accept: 'application/json' } }),
    login: await load(`${apiUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bench-client', password }),
    }),
  };

  // bcrypt alone, one thread as in the server, at the configured cost.
  let compares = 0;
  const until = performance.now() + 3000;
  const t0 = performance.now();
  while (performance.now() < until) {
    await bcrypt.compare(password, hash);
    compares++;
  }
  const bcryptPerSecond = compares / ((performance.now() - t0) / 1000);

  // Scale: the same page and redemption with 1,000 files, then 100,000 files and 10,000 clients.
  const sequential = async () => ({
    list: (await load(`${apiUrl}/api/files?limit=50`, { headers: auth, connections: 1, amount: 300 })).p50,
    redeem: (await load(link, { headers: { ...auth, accept: 'application/json' }, connections: 1, amount: 300 })).p50,
  });
  const small = await sequential();
  const seedStarted = performance.now();
  const clients = await seedClients(sql, 10_000, hash);
  await seedFiles(sql, { count: 99_000, start: 1000, uploadedBy: ops.id, grantTo: (n) => clients[n % clients.length] ?? null });
  await sql.execute('analyze');
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const large = await sequential();

  // Bytes: 100 MiB through a presigned URL against a direct PUT to the same storage.
  const size = 100 * 1024 * 1024;
  const body = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(body.subarray(i, Math.min(i + 65536, size)));
  const aws = new AwsClient({
    accessKeyId: server.info.secrets.storageAccessKeyId,
    secretAccessKey: server.info.secrets.storageSecretAccessKey,
    service: 's3',
    region: 'us-east-1',
  });
  const before = await ask<{ apiBytesReceived: number }>(server.child, 'stats');
  const presigned: number[] = [];
  const direct: number[] = [];
  for (let round = 0; round < 2; round++) {
    const startRes = await fetch(`${apiUrl}/api/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${opsToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ filename: `big-${round}.docx`, contentType: DOCX, size }),
    });
    const { upload } = (await startRes.json()) as { upload: { url: string; headers: Record<string, string> } };
    presigned.push(
      await timed(async () => {
        const res = await fetch(upload.url, {
          method: 'PUT',
          headers: { 'content-type': upload.headers['content-type'] ?? DOCX },
          body: new Blob([body]),
        });
        if (res.status !== 200) throw new Error(`presigned PUT ${res.status}`);
      }),
    );
    direct.push(
      await timed(async () => {
        const res = await aws.fetch(`${server.info.storageUrl}/${server.info.bucket}/bench/direct-${round}`, {
          method: 'PUT',
          headers: { 'content-type': DOCX, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
          body: new Blob([body]),
        });
        if (res.status !== 200) throw new Error(`direct PUT ${res.status}`);
      }),
    );
  }
  const after = await ask<{ apiBytesReceived: number; rss: number }>(server.child, 'stats');
  const apiBytesDuringUploads = after.apiBytesReceived - before.apiBytesReceived;

  const bundleDir = await mkdtemp(path.join(tmpdir(), 'sfs-bench-bundle-'));
  const bundle = await buildWorker(path.join(bundleDir, 'worker'), { assets: false });
  await rm(bundleDir, { recursive: true, force: true });

  sql.close();
  server.child.disconnect();
  floorProc.child.disconnect();

  // The table.
  const ratio = (n: number) => n / floor.rps;
  const results = {
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    connections: CONNECTIONS,
    secondsPerPath: SECONDS,
    floor,
    paths: Object.fromEntries(Object.entries(rows).map(([name, r]) => [name, { ...r, ratioToFloor: ratio(r.rps) }])),
    bcrypt: { cost: server.info.bcryptCost, comparesPerSecond: bcryptPerSecond, loginRatio: (rows.login?.rps ?? 0) / bcryptPerSecond },
    scale: { small, large, listRatio: large.list / small.list, redeemRatio: large.redeem / small.redeem, seedSeconds },
    upload: {
      bytes: size,
      presignedMs: Math.min(...presigned),
      directMs: Math.min(...direct),
      presignedToDirect: Math.min(...direct) / Math.min(...presigned),
      apiBytesReceivedDuringUploads: apiBytesDuringUploads,
    },
    memory: { serverRssBytes: after.rss },
    bundle: { bytes: bundle.bytes, gzipBytes: bundle.gzipBytes },
    totalSeconds: (performance.now() - started) / 1000,
  };
  const targets: Array<[string, boolean, string]> = [
    ['redeem ≥ 0.5 of floor', ratio(rows['redeem link (JSON)']?.rps ?? 0) >= 0.5, ratio(rows['redeem link (JSON)']?.rps ?? 0).toFixed(2)],
    ['list ≥ 0.5 of floor', ratio(rows['list files (50)']?.rps ?? 0) >= 0.5, ratio(rows['list files (50)']?.rps ?? 0).toFixed(2)],
    ['issue link ≥ 0.4 of floor', ratio(rows['issue link']?.rps ?? 0) >= 0.4, ratio(rows['issue link']?.rps ?? 0).toFixed(2)],
    [
      'p99 ≤ 10 ms (redeem, list, issue link)',
      ['redeem link (JSON)', 'list files (50)', 'issue link'].every((k) => (rows[k]?.p99 ?? Infinity) <= 10),
      ['redeem link (JSON)', 'list files (50)', 'issue link'].map((k) => rows[k]?.p99).join(' / '),
    ],
    ['login ≥ 0.9 of raw bcrypt', results.bcrypt.loginRatio >= 0.9, results.bcrypt.loginRatio.toFixed(2)],
    ['100k/1k page time ≤ 1.5', results.scale.listRatio <= 1.5, results.scale.listRatio.toFixed(2)],
    ['presigned upload ≥ 0.9 of direct', results.upload.presignedToDirect >= 0.9, results.upload.presignedToDirect.toFixed(2)],
  ];

  const line = (cells: string[], widths: number[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 10)).join('  ');
  const w = [22, 10, 9, 9, 9, 8];
  console.log(`\n${line(['path (64 connections)', 'req/s', 'p50 ms', 'p99 ms', 'ratio', 'errors'], w)}`);
  console.log(line(['floor (bare Hono)', floor.rps.toFixed(0), String(floor.p50), String(floor.p99), '1.00', String(floor.errors)], w));
  for (const [name, r] of Object.entries(rows))
    console.log(line([name, r.rps.toFixed(0), String(r.p50), String(r.p99), ratio(r.rps).toFixed(2), String(r.errors)], w));
  console.log(
    `\nbcrypt cost ${results.bcrypt.cost}: ${bcryptPerSecond.toFixed(1)} compares/s alone; login ${(rows.login?.rps ?? 0).toFixed(1)}/s (ratio ${results.bcrypt.loginRatio.toFixed(2)})`,
  );
  console.log(
    `scale (p50, one connection): list ${small.list} → ${large.list} ms, redeem ${small.redeem} → ${large.redeem} ms with 1k → 100k files and 10k clients (ratios ${results.scale.listRatio.toFixed(2)}, ${results.scale.redeemRatio.toFixed(2)}; seeding took ${seedSeconds.toFixed(1)} s)`,
  );
  console.log(
    `upload 100 MiB: presigned ${results.upload.presignedMs.toFixed(0)} ms, direct ${results.upload.directMs.toFixed(0)} ms (ratio ${results.upload.presignedToDirect.toFixed(2)}); the API process read ${apiBytesDuringUploads} bytes meanwhile (JSON only: 0 bytes of file content)`,
  );
  console.log(
    `server RSS after the load: ${(after.rss / 1024 / 1024).toFixed(0)} MiB; worker bundle ${(bundle.gzipBytes / 1024).toFixed(1)} KiB gzip`,
  );
  console.log('\ntargets:');
  for (const [name, ok, value] of targets) console.log(`  ${ok ? 'met   ' : 'MISSED'} ${name}: ${value}`);
  console.log(`\n(${results.totalSeconds.toFixed(0)} s in all)`);

  await mkdir(path.join(PROJECT_ROOT, 'bench'), { recursive: true });
  await writeFile(
    path.join(PROJECT_ROOT, 'bench', 'results.json'),
    `${JSON.stringify({ ...results, targets: targets.map(([name, met, value]) => ({ name, met, value })) }, null, 2)}\n`,
  );
}

await main();
