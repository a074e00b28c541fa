import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDocx } from '../scripts/lib/samples';
import { type ApiClient, apiClient, expectProblem } from './helpers/api';
import { opsUser, putBytes, startUpload, storageAdmin, storageKeyOf, sweepNow, uploadFile } from './helpers/files';
import { runScript } from './helpers/run-script';
import { startTestStack, type TestStack, uniqueName, useStack } from './helpers/stack';

/** `npm run sweep` as an operator runs it, on the stack's data folder; the other sweeps run in-process (sweepNow). */
const sweepCli = (stack: TestStack, orphanAge = '0') =>
  runScript('sweep.ts', ['--orphan-age', orphanAge], {
    env: { DATA_DIR: stack.dataDir, STORAGE_PORT: new URL(stack.storageUrl).port, MAIL_PORT: new URL(stack.mailUrl).port },
  });

describe('an upload URL past its expiry (the API clock 30 minutes behind storage)', () => {
  let stack: TestStack;
  let api: ApiClient;
  useStack(
    () => startTestStack({}, { now: () => new Date(Date.now() - 30 * 60 * 1000) }),
    (s, a) => {
      stack = s;
      api = a;
    },
  );

  it('is refused by storage, and the pending file is swept', async () => {
    const ops = await opsUser(stack, api, new Date(Date.now() - 60 * 60 * 1000)); // created before the API's "now"
    const bytes = await makeDocx();
    const { body } = await startUpload(api, ops.token, 'late.docx', bytes);
    const put = await putBytes(body.upload, bytes);
    expect(put.status).toBe(403);
    expect(await put.text()).toContain('AccessDenied');
    expectProblem(await api.request('POST', `/api/files/${body.file.id}/complete`, { token: ops.token }), 409, 'upload_missing');

    // The sweep runs on the system clock, 30 minutes ahead of the API's.
    expect((await sweepNow(stack)).expiredUploads).toBeGreaterThanOrEqual(1);
    expectProblem(await api.request('GET', `/api/files/${body.file.id}`, { token: ops.token }), 404, 'not_found');
  });
});

describe('the sweep (as npm run sweep runs it)', () => {
  let stack: TestStack;
  let api: ApiClient;
  useStack(
    () => startTestStack(),
    (s, a) => {
      stack = s;
      api = a;
    },
  );

  it('npm run sweep removes an object whose row is gone (a delete interrupted between the row and the object), keeps the rest, and is idempotent', async () => {
    const ops = await opsUser(stack, api);
    const kept = await uploadFile(api, ops.token, 'kept.docx', await makeDocx());
    // In flight: the bytes are in storage, completion has not happened yet.
    const inFlightBytes = await makeDocx('in flight');
    const pending = await startUpload(api, ops.token, 'in-flight.docx', inFlightBytes);
    expect((await putBytes(pending.body.upload, inFlightBytes)).status).toBe(200);
    const orphaned = await uploadFile(api, ops.token, 'orphan.docx', await makeDocx());
    const orphanKey = await storageKeyOf(stack, orphaned.id);
    // The crash: the row and grants went, the storage call never happened.
    await stack.sql.execute({ sql: 'delete from files where id = ?', args: [orphaned.id] });
    expect(await storageAdmin(stack).exists(orphanKey)).toBe(true);

    const first = await sweepCli(stack);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Swept 0 expired pending upload(s) and 1 orphaned object(s).');
    expect(await storageAdmin(stack).exists(orphanKey)).toBe(false);
    expect(await storageAdmin(stack).exists(await storageKeyOf(stack, kept.id))).toBe(true);
    expect((await api.request('GET', `/api/files/${pending.body.file.id}`, { token: ops.token })).status).toBe(200);
    expect(await storageAdmin(stack).exists(await storageKeyOf(stack, pending.body.file.id))).toBe(true);
    expect((await api.request('POST', `/api/files/${pending.body.file.id}/complete`, { token: ops.token })).status).toBe(200);

    expect(await sweepNow(stack)).toEqual({
      expiredUploads: 0,
      orphanObjects: 0,
      mailSent: 0,
      mailFailed: 0,
      shareNotices: 0,
      endedSessions: 0,
      staleTokens: 0,
      expiredFiles: 0,
      endedGrants: 0,
    });
  });

  it('removes an expired pending upload with its object; a completion after the sweep deadline is refused', async () => {
    const ops = await opsUser(stack, api);
    const bytes = await makeDocx('too late');
    const late = await startUpload(api, ops.token, 'late.docx', bytes);
    expect((await putBytes(late.body.upload, bytes)).status).toBe(200);
    const key = await storageKeyOf(stack, late.body.file.id);
    // Its upload URL expired an hour ago (more than the grace the sweep and completion share).
    await stack.sql.execute({
      sql: 'update files set upload_expires_at = ? where id = ?',
      args: [Date.now() - 3_600_000, late.body.file.id],
    });
    expectProblem(await api.request('POST', `/api/files/${late.body.file.id}/complete`, { token: ops.token }), 409, 'upload_missing');
    expect(await storageAdmin(stack).exists(key)).toBe(true); // the refusal wrote and removed nothing

    expect((await sweepNow(stack, 3600)).expiredUploads).toBeGreaterThanOrEqual(1);
    expect(await storageAdmin(stack).exists(key)).toBe(false);
    expectProblem(await api.request('GET', `/api/files/${late.body.file.id}`, { token: ops.token }), 404, 'not_found');
  });

  it('leaves recent objects without a row alone (a completion may be copying one right now)', async () => {
    const ops = await opsUser(stack, api);
    const orphaned = await uploadFile(api, ops.token, 'recent-orphan.docx', await makeDocx());
    const key = await storageKeyOf(stack, orphaned.id);
    await stack.sql.execute({ sql: 'delete from files where id = ?', args: [orphaned.id] });
    await sweepNow(stack, 3600);
    expect(await storageAdmin(stack).exists(key)).toBe(true);
  });
});

describe('the presigned GET behind a link (the API clock 2 minutes behind storage)', () => {
  let skewed: TestStack;
  let skewedApi: ApiClient;
  beforeAll(async () => {
    skewed = await startTestStack({}, { now: () => new Date(Date.now() - 120_000) });
    skewedApi = apiClient(skewed.apiUrl, { sql: skewed.sql });
  });
  afterAll(() => skewed?.close());

  it('is refused by storage once its 60 seconds are over', async () => {
    const skewedOps = await opsUser(skewed, skewedApi, new Date(Date.now() - 3_600_000));
    const name = `late-${crypto.randomUUID().slice(0, 8)}`;
    const user = await skewedApi.signup(name);
    const token = await skewedApi.login(name);
    const { id } = await uploadFile(skewedApi, skewedOps.token, 'late.docx', await makeDocx());
    await skewedApi.request('PUT', `/api/files/${id}/sharing`, {
      token: skewedOps.token,
      json: { allClients: false, clients: [user.username] },
    });
    const link = await skewedApi.request<{ downloadLink: string }>('POST', `/api/files/${id}/download-link`, { token });
    const res = await fetch(link.body.downloadLink, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    expect(res.status).toBe(200);
    const { url } = (await res.json()) as { url: string };
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('AccessDenied');
  });
});

describe('the sweep forgets what no one needs any more', () => {
  let stack: TestStack;
  let api: ApiClient;
  useStack(
    () => startTestStack(),
    (s, a) => {
      stack = s;
      api = a;
    },
  );

  it('sessions ended over a week ago go with their refresh tokens; recent ones and stale one-time tokens are judged by age', async () => {
    const name = uniqueName('old');
    const user = await api.signup(name);
    await api.login(name);
    await api.login(name);
    const day = 24 * 3600 * 1000;
    const now = Date.now();
    const ids = (await stack.sql.execute({ sql: 'select id from sessions where user_id = ? order by id', args: [user.id] })).rows.map((r) =>
      String(r.id),
    );
    expect(ids).toHaveLength(2);
    await stack.sql.execute({ sql: 'update sessions set revoked_at = ? where id = ?', args: [now - 8 * day, ids[0] ?? ''] });
    await stack.sql.execute({ sql: 'update sessions set revoked_at = ? where id = ?', args: [now - 1 * day, ids[1] ?? ''] });
    await stack.sql.execute({
      sql: "insert into one_time_tokens (hash, user_id, purpose, created_at, expires_at) values (?, ?, 'password_reset', ?, ?), (?, ?, 'password_reset', ?, ?)",
      args: ['a'.repeat(64), user.id, now - 3 * day, now - 2 * day, 'b'.repeat(64), user.id, now, now + day],
    });
    const report = await sweepNow(stack);
    expect(report).toMatchObject({ endedSessions: 1, staleTokens: 1 });
    const left = (await stack.sql.execute({ sql: 'select id from sessions where user_id = ?', args: [user.id] })).rows.map((r) =>
      String(r.id),
    );
    expect(left).toEqual([ids[1]]);
    expect(
      Number(
        (await stack.sql.execute({ sql: 'select count(*) as n from refresh_tokens where session_id = ?', args: [ids[0] ?? ''] })).rows[0]
          ?.n,
      ),
    ).toBe(0);
    expect(
      (await stack.sql.execute({ sql: 'select hash from one_time_tokens where user_id = ?', args: [user.id] })).rows.map((r) => r.hash),
    ).toEqual(['b'.repeat(64)]);
    expect(await sweepNow(stack)).toMatchObject({ endedSessions: 0, staleTokens: 0 });
  });
});
