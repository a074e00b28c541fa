import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../scripts/lib/local-stack';
import { type ApiClient, apiClient } from './helpers/api';
import { runScript } from './helpers/run-script';
import { freePort, startTestStack, type TestStack, uniqueName, useStack } from './helpers/stack';

const run = runScript;

describe('npm run ops:create', () => {
  let stack: TestStack;
  let api: ApiClient;
  useStack(
    () => startTestStack(),
    (s, a) => {
      stack = s;
      api = a;
    },
  );

  const create = (username: string, email: string, password: string) =>
    run('ops-create.ts', ['--username', username, '--email', email], { env: { DATA_DIR: stack.dataDir }, input: `${password}\n` });

  it('creates an ops user from a password on stdin, who can then sign in as ops', async () => {
    const name = uniqueName('Ops');
    const result = await create(name, `${name}@Example.com`, 'a long ops password');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Created ops user "${name.toLowerCase()}"`);
    const token = await api.login(name, 'a long ops password');
    const me = await api.request('GET', '/api/me', { token });
    expect(me.body).toMatchObject({ user: { username: name.toLowerCase(), email: `${name.toLowerCase()}@example.com`, role: 'ops' } });
  });

  it('refuses a taken username in one line, creating nothing', async () => {
    const name = uniqueName('taken');
    await api.signup(name);
    const result = await create(name, `other-${name}@example.com`, 'a long ops password');
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('That username is already taken.');
    const rows = await stack.sql.execute({ sql: 'select count(*) as n from users where email = ?', args: [`other-${name}@example.com`] });
    expect(rows.rows[0]?.n).toBe(0);
  });

  it('reports a database it cannot use in one line, without the driver message (which carries the hash)', async () => {
    const result = await run('ops-create.ts', ['--username', uniqueName('x'), '--email', 'x@example.com'], {
      env: { DATABASE_URL: `http://127.0.0.1:${await freePort()}` },
      input: 'a long ops password\n',
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^Could not create the user/);
    expect(result.stderr).not.toMatch(/\$2[aby]\$|params|insert into/i);
  });

  it('applies the same password rules as sign-up', async () => {
    const short = await create(uniqueName('short'), `${uniqueName('s')}@example.com`, 'short');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('password: must be at least 8 characters');
    const common = await create(uniqueName('common'), `${uniqueName('c')}@example.com`, 'iloveyou1');
    expect(common.code).toBe(1);
    expect(common.stderr).toContain('most common passwords');
    const long = await create(uniqueName('long'), `${uniqueName('l')}@example.com`, 'x'.repeat(73));
    expect(long.code).toBe(1);
    expect(long.stderr).toContain('password: must be at most 72 bytes');
  });

  it('refuses unknown options with the usage line', async () => {
    const result = await run('ops-create.ts', ['--username', 'x', '--role', 'ops'], { env: { DATA_DIR: stack.dataDir } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Usage: npm run ops:create');
  });
});

describe('npm start', () => {
  let dataDir: string;
  let blocker: Server;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'sfs-start-'));
  });
  afterAll(async () => {
    blocker?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('says in one line that a port is in use, without a stack trace', async () => {
    const port = await freePort();
    blocker = createServer().listen(port, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const result = await run('start.ts', [], { env: { DATA_DIR: dataDir, PORT: String(port), STORAGE_PORT: String(await freePort()) } });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `Port ${port} on 127.0.0.1 is already in use, so the API cannot start. Free it or choose another port.`,
    );
    // It got as far as preparing the data folder: secrets generated, owner-only.
    const secrets = JSON.parse(await readFile(path.join(dataDir, 'secrets.json'), 'utf8'));
    expect(Object.keys(secrets).sort()).toEqual(['jwtSecret', 'linkSecret', 'storageAccessKeyId', 'storageSecretAccessKey']);
    expect(secrets.jwtSecret).not.toBe(secrets.linkSecret);
    expect(Buffer.from(secrets.jwtSecret, 'base64url').length).toBe(32);
    expect((await stat(path.join(dataDir, 'secrets.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
  });

  it('refuses a sweep interval that is not a whole number of seconds, before starting anything', async () => {
    for (const value of ['abc', '-1', '1.5', '90000']) {
      const result = await run('start.ts', [], { env: { DATA_DIR: dataDir, SWEEP_INTERVAL_SECONDS: value } });
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(`SWEEP_INTERVAL_SECONDS must be a whole number of seconds (0–86400; 0: never), got "${value}".`);
    }
  });
});

describe('the database files, whatever the data folder', () => {
  let dataDir: string;
  let umask: number;
  beforeAll(async () => {
    // The usual umask, whatever this machine's: with it, anything created plainly would be 0644.
    umask = process.umask(0o022);
    // A data folder that already exists and is world-readable (DATA_DIR=. say): mkdir's 0700 does not apply.
    dataDir = await mkdtemp(path.join(tmpdir(), 'sfs-mode-'));
    await chmod(dataDir, 0o755);
  });
  afterAll(async () => {
    process.umask(umask);
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Starts the local stack on dataDir, writes through the API, and gives each database file's mode (octal), while it runs. */
  async function runAndWrite(): Promise<Record<string, string>> {
    const stack = await startLocalStack({
      dataDir,
      apiPort: 0,
      storagePort: 0,
      mailPort: 0,
      env: { ENVIRONMENT: 'test', LOG_LEVEL: 'warn' },
    });
    try {
      await apiClient(stack.apiUrl).signup(uniqueName('mode'));
      const modes: Record<string, string> = {};
      for (const name of (await readdir(dataDir)).filter((n) => n.startsWith('app.db'))) {
        modes[name] = ((await stat(path.join(dataDir, name))).mode & 0o777).toString(8);
      }
      return modes;
    } finally {
      await stack.stop();
    }
  }

  it('creates app.db and its -wal and -shm owner-only (0600) in an existing 0755 folder', async () => {
    // The database is in WAL mode, so while the API runs there are all three.
    expect(await runAndWrite()).toEqual({ 'app.db': '600', 'app.db-wal': '600', 'app.db-shm': '600' });
  });

  it('tightens a database left readable by others (an older version, a copy) back to 0600', async () => {
    for (const name of await readdir(dataDir)) if (name.startsWith('app.db')) await chmod(path.join(dataDir, name), 0o644);
    expect(await runAndWrite()).toEqual({ 'app.db': '600', 'app.db-wal': '600', 'app.db-shm': '600' });
  });
});
