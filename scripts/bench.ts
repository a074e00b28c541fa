/**
 * `npm run bench`: how the API performs on this machine, as ratios to a floor measured in the same
 * run. BENCHMARKS.md explains every figure.
 *
 * The service (Node entry, libSQL file, S3-protocol server) and a floor (a bare Hono app with a
 * constant JSON answer, same server adapter) run in their own processes, pinned to their own CPU
 * where taskset and a second CPU allow; wrk (or, without it, autocannon) drives them over
 * loopback from another CPU. Every path is warmed first; then each is driven for a warm-up
 * second plus BENCH_SECONDS, and the first second of every connection is dropped. The server's
 * CPU time (from /proc) over the measured part, divided by the requests answered in it, is its
 * CPU µs per request. Then the same with two processes of each behind one port (node:cluster),
 * with a check that the audit of redemptions stays exact. Prints the tables and the targets, and
 * writes bench/results.json.
 */
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
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
/** Seconds measured per path, after the warm-up second that is dropped. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = 1;
/** Seconds per sequential (one-connection) run of the scale figure. */
const SCALE_SECONDS = Math.min(SECONDS, 2);
/** Redemptions of the exact audit check (two processes). */
const AUDIT_REDEEMS = 2000;
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const WRK_SCRIPT = path.join(PROJECT_ROOT, 'scripts', 'bench.lua');

if (!Number.isInteger(SECONDS) || SECONDS < 1) {
  console.error(`BENCH_SECONDS must be a whole number of seconds (≥ 1), got "${process.env.BENCH_SECONDS}".`);
  process.exit(1);
}

/** The issue's targets, one server thread, as ratios to the floor (CPU µs) and steady p99 at 64 connections. */
const TARGETS: Record<string, { ratio: number; p99Ms: number }> = {
  me: { ratio: 0.2, p99Ms: 10 },
  'list files (50)': { ratio: 0.045, p99Ms: 40 },
  'get file': { ratio: 0.15, p99Ms: 10 },
  'issue link': { ratio: 0.1, p99Ms: 25 },
  'redeem link (JSON)': { ratio: 0.06, p99Ms: 50 },
};
const LOGIN_TO_BCRYPT = 0.9;
const SCALE_LIST = 1.5;
const PRESIGNED_TO_DIRECT = 0.9;

// ---------------------------------------------------------------------------------------------
// The machine: which load generator, which CPUs, and the servers' CPU time.

const installed = (command: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const CPUS = os.availableParallelism();
const LOADGEN: 'wrk' | 'autocannon' = process.env.BENCH_LOADGEN === 'autocannon' || !installed('wrk') ? 'autocannon' : 'wrk';
const CAN_PIN = CPUS >= 2 && installed('taskset');
const ALL_CPUS = `0-${CPUS - 1}`;
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Sets the CPUs every thread of a process may run on (later threads inherit it). */
function pin(pid: number, cpus: string) {
  if (CAN_PIN) execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/** CPU seconds (user + system, all threads) the processes have used so far; NaN without /proc. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name (which may hold spaces) : utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return Number.NaN;
    }
  }
  return ticks / CLOCK_TICKS;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the processes are idle (under 10% of a CPU over 200 ms): requests a load generator
 * left in flight when it stopped (64 list pages take a good part of a second) must not be billed to the next run.
 */
async function settle(pids: number[]) {
  const until = performance.now() + 30_000;
  let last = cpuSeconds(pids);
  if (Number.isNaN(last)) return sleep(500);
  while (performance.now() < until) {
    await sleep(200);
    const now = cpuSeconds(pids);
    if (now - last <= 0.02) return;
    last = now;
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

interface ServerInfo {
  apiUrl: string;
  storageUrl: string;
  databaseUrl: string;
  bucket: string;
  bcryptCost: number;
  pids: number[];
  secrets: { storageAccessKeyId: string; storageSecretAccessKey: string };
}
interface ProcessStats {
  pid: number;
  rss: number;
  apiBytesReceived: number;
  processes: Array<{ pid: number; rss: number; bytesReceived: number }>;
}

function start<T>(script: string, processes: number): Promise<{ child: ChildProcess; info: T }> {
  const child = fork(path.join(PROJECT_ROOT, 'scripts', script), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_PROCESSES: String(processes) },
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

const stopChild = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.disconnect();
  });

// ---------------------------------------------------------------------------------------------
// Load

interface Request {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}
interface Row {
  /** Requests per second after the warm-up. */
  rps: number;
  /** The server processes' CPU time over the measured part of the run, per request answered. */
  cpuUs: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers above 399 after the warm-up, and socket errors and timeouts over the whole run. */
  errors: number;
  /** Requests answered after the warm-up. */
  requests: number;
}

interface Target {
  /** The server's processes, whose CPU time is read. */
  pids: number[];
  /** Every server process of the phase (floor and service, on the same CPUs): idle before a run starts. */
  quiet?: number[];
  /** Where the load generator may run (taskset's list). */
  loadgenCpus: string;
  connections?: number;
  seconds?: number;
}

/**
 * A path under load, closed loop: each connection sends its next request when the answer arrives,
 * for WARMUP_SECONDS + `seconds`. The first WARMUP_SECONDS of every connection are dropped (the
 * first request on each connection included), and the server's CPU time is read from when every
 * connection is past its warm-up until the load stops: divided by the requests answered in that
 * time (the steady rate times its length), it is the CPU µs per request.
 */
async function measure(url: string, request: Request, target: Target): Promise<Row> {
  const connections = target.connections ?? CONNECTIONS;
  const seconds = target.seconds ?? SECONDS;
  await settle(target.quiet ?? target.pids);
  let cpuFrom = { at: 0, cpu: 0 };
  const startCpuWindow = () => {
    if (!cpuFrom.at) cpuFrom = { at: performance.now(), cpu: cpuSeconds(target.pids) };
  };
  const r =
    LOADGEN === 'wrk'
      ? await wrk(url, request, connections, seconds, target, startCpuWindow)
      : await cannon(url, request, connections, seconds, startCpuWindow);
  const cpu = cpuSeconds(target.pids) - cpuFrom.cpu;
  const window = (performance.now() - cpuFrom.at) / 1000;
  await settle(target.pids);
  return { ...r, cpuUs: cpuFrom.at ? (cpu * 1e6) / (r.rps * window) : Number.NaN };
}

type Measured = Omit<Row, 'cpuUs'>;

/** wrk with scripts/bench.lua: one thread per connection, each timing its own connection. */
async function wrk(
  url: string,
  request: Request,
  connections: number,
  seconds: number,
  target: Target,
  measuring: () => void,
): Promise<Measured> {
  const args = [
    'wrk',
    `-t${connections}`,
    `-c${connections}`,
    `-d${WARMUP_SECONDS + seconds}s`,
    '--timeout',
    '30s',
    '-s',
    WRK_SCRIPT,
    ...Object.entries(request.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    url,
  ];
  const [command, ...rest] = CAN_PIN ? ['taskset', '-c', target.loadgenCpus, ...args] : args;
  const child = spawn(command as string, rest, {
    env: {
      ...process.env,
      BENCH_METHOD: request.method ?? 'GET',
      BENCH_BODY: request.body ?? '',
      BENCH_WARMUP_SECONDS: String(WARMUP_SECONDS),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Each thread (connection) says when it is set up; the last one's warm-up ends a second later.
  let timer: NodeJS.Timeout | undefined;
  let output = '';
  let ready = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk;
    const before = ready;
    ready += chunk.toString().split('READY\n').length - 1;
    if (before < connections && ready >= connections) timer = setTimeout(measuring, WARMUP_SECONDS * 1000 + 20);
  });
  await new Promise((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  const line = output.split('\n').find((l) => l.startsWith('BENCH-RESULT '));
  if (!line) throw new Error(`wrk gave no result:\n${output}`);
  const r = JSON.parse(line.slice('BENCH-RESULT '.length)) as Record<string, number>;
  const n = (key: string) => r[key] ?? 0;
  return {
    rps: n('rate'),
    p50Ms: n('p50Us') / 1000,
    p99Ms: n('p99Us') / 1000,
    errors: n('status') + n('socket'),
    requests: n('requests'),
  };
}

/** autocannon in this process (without wrk): the same, with one warm-up cut-off for all connections. */
async function cannon(url: string, request: Request, connections: number, seconds: number, measuring: () => void): Promise<Measured> {
  const latencies: number[] = [];
  let failed = 0;
  let first = 0;
  let last = 0;
  const cutoff = performance.now() + WARMUP_SECONDS * 1000;
  const timer = setTimeout(measuring, WARMUP_SECONDS * 1000);
  let done: (result: autocannon.Result) => void = () => undefined;
  const finished = new Promise<autocannon.Result>((resolve) => {
    done = resolve;
  });
  const instance = autocannon(
    {
      url,
      method: request.method ?? 'GET',
      headers: request.headers ?? {},
      ...(request.body ? { body: request.body } : {}),
      connections,
      duration: WARMUP_SECONDS + seconds,
      timeout: 30,
    },
    (error, result) => {
      if (error) throw error;
      done(result);
    },
  );
  instance.on('response', (_client, status, _bytes, ms) => {
    const now = performance.now();
    if (now < cutoff) return;
    if (!first) first = now;
    last = now;
    latencies.push(ms);
    if (status > 399) failed++;
  });
  const result = await finished;
  clearTimeout(timer);
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.max(0, Math.ceil((latencies.length * p) / 100) - 1)] ?? 0;
  return {
    rps: latencies.length > 1 ? ((latencies.length - 1) * 1000) / (last - first) : 0,
    p50Ms: at(50),
    p99Ms: at(99),
    errors: failed + result.errors + result.timeouts,
    requests: latencies.length,
  };
}

// ---------------------------------------------------------------------------------------------
// Data

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

const PASSWORD = 'bench passphrase 42';

/** An ops user and a client, signed in; 1,000 ready files granted to the client; one link to the first. */
async function prepare(info: ServerInfo) {
  const { apiUrl } = info;
  const sql = createClient({ url: info.databaseUrl });
  const db = createDatabase(sql);
  const hash = await createPasswordHasher(info.bcryptCost).hash(PASSWORD);
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
      body: JSON.stringify({ username, password: PASSWORD }),
    });
    return ((await res.json()) as { accessToken: string }).accessToken;
  };
  const [opsToken, clientToken] = [await loginAs('bench-ops'), await loginAs('bench-client')];
  await seedFiles(sql, { count: 1000, start: 0, uploadedBy: ops.id, grantTo: () => client.id });
  const auth = { authorization: `Bearer ${clientToken}` };
  const page = (await (await fetch(`${apiUrl}/api/files?limit=50`, { headers: auth })).json()) as { items: Array<{ id: string }> };
  const fileId = page.items[0]?.id ?? '';
  const link = (
    (await (await fetch(`${apiUrl}/api/files/${fileId}/download-link`, { method: 'POST', headers: auth })).json()) as {
      downloadLink: string;
    }
  ).downloadLink;
  return { sql, hash, ops, opsToken, auth, fileId, link };
}

/**
 * The hot paths, each with its request, at 64 connections; login at one. bcryptjs yields every
 * 100 ms, so 64 logins in flight are computed side by side and finish in waves, seconds apart:
 * their rate over a few seconds depends on where the waves fall. One connection keeps the thread
 * busy (the gap between two logins is a loopback round trip) with one compare at a time, as the
 * raw bcrypt figure measures it.
 */
function paths(apiUrl: string, data: Awaited<ReturnType<typeof prepare>>, withLogin: boolean): Array<[string, string, Request, number]> {
  const { auth, fileId, link } = data;
  const login: [string, string, Request, number] = [
    'login',
    `${apiUrl}/api/auth/login`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bench-client', password: PASSWORD }),
    },
    1,
  ];
  return [
    ['me', `${apiUrl}/api/me`, { headers: auth }, CONNECTIONS],
    ['list files (50)', `${apiUrl}/api/files?limit=50`, { headers: auth }, CONNECTIONS],
    ['get file', `${apiUrl}/api/files/${fileId}`, { headers: auth }, CONNECTIONS],
    ['issue link', `${apiUrl}/api/files/${fileId}/download-link`, { method: 'POST', headers: auth }, CONNECTIONS],
    ['redeem link (JSON)', link, { headers: { ...auth, accept: 'application/json' } }, CONNECTIONS],
    ...(withLogin ? [login] : []),
  ];
}

const count = async (sql: Client, table: string) => Number((await sql.execute(`select count(*) as n from ${table}`)).rows[0]?.n);

/** Exactly `total` redemptions over `connections` connections; how many were answered 200. */
async function redeemExactly(url: string, headers: Record<string, string>, total: number, connections: number) {
  let sent = 0;
  let ok = 0;
  let other = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (sent < total) {
        sent++;
        const res = await fetch(url, { headers });
        await res.arrayBuffer();
        if (res.status === 200) ok++;
        else other++;
      }
    }),
  );
  return { ok, other };
}

const timed = async (f: () => Promise<unknown>) => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};

/** One second of load, measuring nothing: JIT-compiles a path's code before any path is measured. */
async function warm(url: string, request: Request, target: Target) {
  const connections = target.connections ?? CONNECTIONS;
  if (LOADGEN === 'wrk') await wrk(url, request, connections, 0, target, () => undefined);
  else await cannon(url, request, connections, 0, () => undefined);
  await settle(target.pids);
}

/** Seconds measured per floor run (after its warm-up second). */
const FLOOR_SECONDS = Math.min(SECONDS, 2);

const meanRow = (rows: Row[]): Row => {
  const mean = (key: keyof Row) => rows.reduce((n, r) => n + r[key], 0) / rows.length;
  return {
    rps: mean('rps'),
    cpuUs: mean('cpuUs'),
    p50Ms: mean('p50Ms'),
    p99Ms: mean('p99Ms'),
    errors: rows.reduce((n, r) => n + r.errors, 0),
    requests: rows.reduce((n, r) => n + r.requests, 0),
  };
};

/**
 * One configuration: every path (and the floor) warmed for a second first, so the first path
 * measured does not carry the compilation of the code all paths share. Then the floor, and after
 * each path the floor again: each path's ratios are to the mean of the floor runs just before and
 * just after it, which cancels the machine's drift (other tenants of the host) over the phase.
 */
async function phase(floor: { url: string; pids: number[] }, list: ReturnType<typeof paths>, pids: number[], loadgenCpus: string) {
  const quiet = [...floor.pids, ...pids];
  const floorTarget = { pids: floor.pids, quiet, loadgenCpus, seconds: FLOOR_SECONDS };
  await warm(floor.url, {}, floorTarget);
  for (const [, url, request, connections] of list) await warm(url, request, { pids, loadgenCpus, connections });
  const floors = [await measure(floor.url, {}, floorTarget)];
  const rows: Record<string, Row> = {};
  const bases: Record<string, Row> = {};
  for (const [name, url, request, connections] of list) {
    rows[name] = await measure(url, request, { pids, quiet, loadgenCpus, connections });
    floors.push(await measure(floor.url, {}, floorTarget));
    bases[name] = meanRow(floors.slice(-2));
  }
  return { floor: meanRow(floors), floors, rows, bases };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = performance.now();
  const loadBefore = os.loadavg()[0] ?? 0;
  // One server thread on CPU 1; the load generator (and this process, for autocannon) on CPU 0.
  const serverCpus = CAN_PIN ? '1' : ALL_CPUS;
  const loadgenCpus = CAN_PIN ? '0' : ALL_CPUS;
  const placement = CAN_PIN
    ? `server and floor pinned to CPU 1, ${LOADGEN} to CPU 0 (taskset)`
    : `not pinned: ${CPUS < 2 ? 'one CPU' : 'taskset not found (util-linux)'}`;

  // --- One process each ----------------------------------------------------------------------
  const floorProc = await start<{ url: string; pids: number[] }>('bench-floor.ts', 1);
  const server = await start<ServerInfo>('bench-server.ts', 1);
  for (const pid of [...floorProc.info.pids, ...server.info.pids]) pin(pid, serverCpus);
  const { apiUrl } = server.info;
  const data = await prepare(server.info);
  const { sql, hash, ops, opsToken, auth, link } = data;

  const one = { loadgenCpus };
  const single = await phase(floorProc.info, paths(apiUrl, data, true), server.info.pids, loadgenCpus);
  const { rows } = single;
  await stopChild(floorProc.child);

  // bcrypt alone, one thread as in the server, at the configured cost, on the server's CPU.
  pin(process.pid, serverCpus);
  for (const until = performance.now() + WARMUP_SECONDS * 1000; performance.now() < until; ) await bcrypt.compare(PASSWORD, hash);
  let compares = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() < t0 + 3000) {
    await bcrypt.compare(PASSWORD, hash);
    compares++;
  }
  const bcryptCpu = process.cpuUsage(cpu0);
  const bcryptPerSecond = compares / ((performance.now() - t0) / 1000);
  const bcryptCpuUs = (bcryptCpu.user + bcryptCpu.system) / compares;
  pin(process.pid, LOADGEN === 'autocannon' ? loadgenCpus : ALL_CPUS);

  // --- Two processes each, behind one port (node:cluster) --------------------------------------
  // Pinned apart only if there is a CPU for each server process and one for the load generator.
  const pinTwo = CAN_PIN && CPUS >= 3;
  const twoServerCpus = pinTwo ? '1-2' : ALL_CPUS;
  const twoLoadgenCpus = pinTwo ? '0' : ALL_CPUS;
  const twoPlacement = pinTwo
    ? `server processes pinned to CPUs 1-2, ${LOADGEN} to CPU 0`
    : `not pinned: ${CPUS} CPUs for two server processes and ${LOADGEN}`;
  const floor2Proc = await start<{ url: string; pids: number[] }>('bench-floor.ts', 2);
  const server2 = await start<ServerInfo>('bench-server.ts', 2);
  for (const pid of [...floor2Proc.info.pids, ...server2.info.pids]) pin(pid, twoServerCpus);
  if (LOADGEN === 'autocannon') pin(process.pid, twoLoadgenCpus);
  const data2 = await prepare(server2.info);
  const double = await phase(floor2Proc.info, paths(server2.info.apiUrl, data2, false), server2.info.pids, twoLoadgenCpus);
  const { rows: rows2 } = double;
  await stopChild(floor2Proc.child);

  // The audit of redemptions, with both processes writing: one row per successful redemption.
  await settle(server2.info.pids);
  const rowsBefore = await count(data2.sql, 'downloads');
  const seenBefore = await ask<ProcessStats>(server2.child, 'stats');
  const redeemed = await redeemExactly(data2.link, { ...data2.auth, accept: 'application/json' }, AUDIT_REDEEMS, CONNECTIONS);
  const rowsAfter = await count(data2.sql, 'downloads');
  const seenAfter = await ask<ProcessStats>(server2.child, 'stats');
  const audit = {
    redemptions: AUDIT_REDEEMS,
    answered200: redeemed.ok,
    answeredOther: redeemed.other,
    rowsAdded: rowsAfter - rowsBefore,
    exact: rowsAfter - rowsBefore === redeemed.ok && redeemed.other === 0,
    bytesReadPerProcess: seenAfter.processes.map((p) => ({
      pid: p.pid,
      bytes: p.bytesReceived - (seenBefore.processes.find((q) => q.pid === p.pid)?.bytesReceived ?? 0),
    })),
  };
  data2.sql.close();
  await stopChild(server2.child);
  if (LOADGEN === 'autocannon') pin(process.pid, loadgenCpus);

  // --- Scale: the same page and redemption with 1,000 files, then 100,000 files and 10,000 clients.
  const sequential = async () => {
    const one1 = { ...one, pids: server.info.pids, connections: 1, seconds: SCALE_SECONDS };
    return {
      list: (await measure(`${apiUrl}/api/files?limit=50`, { headers: auth }, one1)).p50Ms,
      redeem: (await measure(link, { headers: { ...auth, accept: 'application/json' } }, one1)).p50Ms,
    };
  };
  const small = await sequential();
  const seedStarted = performance.now();
  const clients = await seedClients(sql, 10_000, hash);
  await seedFiles(sql, { count: 99_000, start: 1000, uploadedBy: ops.id, grantTo: (n) => clients[n % clients.length] ?? null });
  await sql.execute('analyze');
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const large = await sequential();

  // --- Bytes: 100 MiB through a presigned URL against a direct PUT to the same storage.
  const size = 100 * 1024 * 1024;
  const body = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(body.subarray(i, Math.min(i + 65536, size)));
  const aws = new AwsClient({
    accessKeyId: server.info.secrets.storageAccessKeyId,
    secretAccessKey: server.info.secrets.storageSecretAccessKey,
    service: 's3',
    region: 'us-east-1',
  });
  const before = await ask<ProcessStats>(server.child, 'stats');
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
  const after = await ask<ProcessStats>(server.child, 'stats');
  const apiBytesDuringUploads = after.apiBytesReceived - before.apiBytesReceived;

  const bundleDir = await mkdtemp(path.join(tmpdir(), 'sfs-bench-bundle-'));
  const bundle = await buildWorker(path.join(bundleDir, 'worker'), { assets: false });
  await rm(bundleDir, { recursive: true, force: true });

  sql.close();
  await stopChild(server.child);

  // --- Figures -------------------------------------------------------------------------------
  const withRatios = (r: Row, base: Row) => ({ ...r, ratioRps: r.rps / base.rps, ratioCpu: base.cpuUs / r.cpuUs });
  const login = rows.login as Row;
  const results = {
    machine: { cpus: CPUS, node: process.version, loadAverageBefore: loadBefore, loadAverageAfter: os.loadavg()[0] ?? 0 },
    loadGenerator: LOADGEN,
    placement,
    connections: CONNECTIONS,
    warmupSecondsDropped: WARMUP_SECONDS,
    secondsPerPath: SECONDS,
    floorSecondsPerRun: FLOOR_SECONDS,
    floor: single.floor,
    floorRuns: single.floors,
    paths: Object.fromEntries(Object.entries(rows).map(([name, r]) => [name, withRatios(r, single.bases[name] ?? single.floor)])),
    twoProcesses: {
      placement: twoPlacement,
      floor: double.floor,
      floorRuns: double.floors,
      paths: Object.fromEntries(
        Object.entries(rows2).map(([name, r]) => [
          name,
          { ...withRatios(r, double.bases[name] ?? double.floor), rpsToOneProcess: r.rps / (rows[name]?.rps ?? r.rps) },
        ]),
      ),
      audit,
    },
    bcrypt: {
      cost: server.info.bcryptCost,
      comparesPerSecond: bcryptPerSecond,
      cpuUsPerCompare: bcryptCpuUs,
      loginRatio: login.rps / bcryptPerSecond,
      loginCpuRatio: bcryptCpuUs / login.cpuUs,
    },
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
    totalSeconds: 0,
  };
  results.totalSeconds = (performance.now() - started) / 1000;

  // A ratio is judged on CPU µs per request (steady when the machine is busy); req/s without /proc.
  const ratioOf = (r: { ratioCpu: number; ratioRps: number }) => (Number.isNaN(r.ratioCpu) ? r.ratioRps : r.ratioCpu);
  const targets: Array<{ name: string; met: boolean; value: string }> = [];
  for (const [name, t] of Object.entries(TARGETS)) {
    const r = results.paths[name];
    if (!r) continue;
    targets.push({ name: `${name}: ratio ≥ ${t.ratio}`, met: ratioOf(r) >= t.ratio, value: ratioOf(r).toFixed(3) });
    targets.push({ name: `${name}: p99 ≤ ${t.p99Ms} ms`, met: r.p99Ms <= t.p99Ms, value: `${r.p99Ms.toFixed(1)} ms` });
  }
  const loginRatio = Number.isNaN(results.bcrypt.loginCpuRatio) ? results.bcrypt.loginRatio : results.bcrypt.loginCpuRatio;
  targets.push(
    { name: `login ≥ ${LOGIN_TO_BCRYPT} of raw bcrypt`, met: loginRatio >= LOGIN_TO_BCRYPT, value: loginRatio.toFixed(2) },
    {
      name: `list at 100k/1k files ≤ ${SCALE_LIST}`,
      met: results.scale.listRatio <= SCALE_LIST,
      value: results.scale.listRatio.toFixed(2),
    },
    {
      name: `presigned upload ≥ ${PRESIGNED_TO_DIRECT} of direct`,
      met: results.upload.presignedToDirect >= PRESIGNED_TO_DIRECT,
      value: results.upload.presignedToDirect.toFixed(2),
    },
    {
      name: 'audit exact with two processes writing',
      met: audit.exact,
      value: `${audit.rowsAdded} rows for ${audit.answered200} redemptions answered 200`,
    },
  );

  // --- The tables ----------------------------------------------------------------------------
  const f = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
  const ms = (n: number) => f(n, n < 10 ? 2 : 1);
  const w = [22, 8, 8, 8, 8, 7, 7, 6];
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(w[i] ?? 10))
      .join(' ')
      .trimEnd();
  const row = (name: string, r: Row, base: Row, extra: string) =>
    line([
      name,
      f(r.rps, r.rps < 100 ? 1 : 0),
      f(r.cpuUs, 1),
      ms(r.p50Ms),
      ms(r.p99Ms),
      f(r.rps / base.rps, 3),
      f(base.cpuUs / r.cpuUs, 3),
      String(r.errors),
      extra,
    ]);
  const table = (title: string, p: Awaited<ReturnType<typeof phase>>, extraHead: string, extra: (name: string) => string) => {
    console.log(`\n${title}`);
    console.log(line(['path', 'req/s', 'CPU µs', 'p50 ms', 'p99 ms', 'ratio', 'ratio', 'errors', extraHead]));
    console.log(line(['', '', 'per req', '', '', 'req/s', 'CPU', '']));
    console.log(row(`floor (mean of ${p.floors.length})`, p.floor, p.floor, ''));
    for (const [name, r] of Object.entries(p.rows)) console.log(row(name, r, p.bases[name] ?? p.floor, extra(name)));
    const spread = (key: 'rps' | 'cpuUs', digits: number) => p.floors.map((r) => f(r[key], digits)).join(' ');
    console.log(`floor runs, in order: req/s ${spread('rps', 0)}; CPU µs ${spread('cpuUs', 1)}`);
  };
  const verdict = (name: string) => {
    const t = TARGETS[name];
    const r = results.paths[name];
    if (!t || !r) return '';
    const missed = [ratioOf(r) < t.ratio ? 'ratio' : '', r.p99Ms > t.p99Ms ? 'p99' : ''].filter(Boolean);
    return `≥${t.ratio} ≤${t.p99Ms}ms ${missed.length ? `MISSED ${missed.join('+')}` : 'met'}`;
  };
  console.log(
    `\n${CPUS} CPUs, Node ${process.version}, load average ${loadBefore.toFixed(2)} → ${results.machine.loadAverageAfter.toFixed(2)}; ${LOADGEN}, ${CONNECTIONS} connections (login: 1); per path ${SECONDS} s measured after each connection's first ${WARMUP_SECONDS} s (dropped); each path's ratios are to the floor runs just before and after it`,
  );
  table(`one server process (${placement})`, single, 'target (ratio by CPU, p99)', verdict);
  table(
    `two server processes behind one port, node:cluster (${twoPlacement})`,
    double,
    '× one process (req/s)',
    (name) => `${f(results.twoProcesses.paths[name]?.rpsToOneProcess ?? Number.NaN, 2)}`,
  );
  console.log(
    `audit: ${audit.redemptions} redemptions over ${CONNECTIONS} connections, ${audit.answered200} answered 200 (${audit.answeredOther} otherwise), downloads rows +${audit.rowsAdded}: ${audit.exact ? 'exact' : 'NOT EXACT'}; bytes read per API process ${audit.bytesReadPerProcess.map((p) => `pid ${p.pid}: ${p.bytes}`).join(', ')}`,
  );
  console.log(
    `\nbcrypt cost ${results.bcrypt.cost}: ${bcryptPerSecond.toFixed(1)} compares/s alone (${f(bcryptCpuUs)} CPU µs each); login ${login.rps.toFixed(1)}/s (ratio ${results.bcrypt.loginRatio.toFixed(2)} by rate, ${f(results.bcrypt.loginCpuRatio, 2)} by CPU µs)`,
  );
  console.log(
    `scale (p50, one connection): list ${ms(small.list)} → ${ms(large.list)} ms, redeem ${ms(small.redeem)} → ${ms(large.redeem)} ms with 1k → 100k files and 10k clients (ratios ${results.scale.listRatio.toFixed(2)}, ${results.scale.redeemRatio.toFixed(2)}; seeding took ${seedSeconds.toFixed(1)} s)`,
  );
  console.log(
    `upload 100 MiB: presigned ${results.upload.presignedMs.toFixed(0)} ms, direct ${results.upload.directMs.toFixed(0)} ms (ratio ${results.upload.presignedToDirect.toFixed(2)}); the API process read ${apiBytesDuringUploads} bytes meanwhile (JSON only: 0 bytes of file content)`,
  );
  console.log(
    `server RSS after the load: ${(after.rss / 1024 / 1024).toFixed(0)} MiB; worker bundle ${(bundle.gzipBytes / 1024).toFixed(1)} KiB gzip`,
  );
  console.log('\ntargets (ratios by CPU µs per request, one server process):');
  for (const { name, met, value } of targets) console.log(`  ${met ? 'met   ' : 'MISSED'} ${name}: ${value}`);
  console.log(`\n(${results.totalSeconds.toFixed(0)} s in all)`);

  await mkdir(path.join(PROJECT_ROOT, 'bench'), { recursive: true });
  await writeFile(path.join(PROJECT_ROOT, 'bench', 'results.json'), `${JSON.stringify({ ...results, targets }, null, 2)}\n`);
}

await main();
