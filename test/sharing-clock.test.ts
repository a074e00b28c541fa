import { describe, expect, it } from 'vitest';
import { makeDocx } from '../scripts/lib/samples';
import { type ApiClient, expectProblem } from './helpers/api';
import { clientUser, opsUser, storageAdmin, storageKeyOf, sweepNow, uploadFile } from './helpers/files';
import { startTestStack, type TestStack, uniqueName, useStack } from './helpers/stack';

/**
 * Ends, as time passes: the service's clock is moved (Node only; the workerd suite writes ends
 * in the past instead, sharing.test.ts). Access tokens live 15 minutes of the service's time, so
 * people sign in again after a jump; links live 15 minutes too, so a link is followed within its
 * life, after the grant behind it ended.
 */
let offset = 0;
const clock = { now: () => new Date(Date.now() + offset) };
const minutes = (n: number) => n * 60_000;
const at = (ms: number) => new Date(Date.now() + offset + ms).toISOString();

let stack: TestStack;
let api: ApiClient;
useStack(
  () => startTestStack({}, clock),
  (s, a) => {
    stack = s;
    api = a;
  },
);

const OPS_PASSWORD = 'a long ops password';

async function readyFile(token: string, filename = 'timed.docx') {
  const { id, complete } = await uploadFile(api, token, filename, await makeDocx(crypto.randomUUID()));
  expect(complete.status).toBe(200);
  return id;
}

const idsOf = async (token: string) =>
  (await api.request<{ items: Array<{ id: string }> }>('GET', '/api/files?limit=100', { token })).body.items.map((f) => f.id);
const redeem = (token: string, path: string) => api.request('GET', path, { token, headers: { accept: 'application/json' } });

describe('grants end as the clock passes them', () => {
  it('by name, through a group: the file leaves the list and a live link stops; the sweep removes what ended', async () => {
    offset = 0;
    const ops = await opsUser(stack, api);
    const [carol, dave] = [await clientUser(api), await clientUser(api)];
    const group = await api.request<{ group: { id: string; name: string } }>('POST', '/api/groups', {
      token: ops.token,
      json: { name: uniqueName('Timed') },
    });
    await api.request('PUT', `/api/groups/${group.body.group.id}/members`, { token: ops.token, json: { clients: [dave.username] } });
    const fileId = await readyFile(ops.token);
    const shared = await api.request('PUT', `/api/files/${fileId}/sharing`, {
      token: ops.token,
      json: {
        allClients: false,
        clients: [{ username: carol.username, expiresAt: at(minutes(10)) }],
        groups: [{ name: group.body.group.name, expiresAt: at(minutes(20)) }],
      },
    });
    expect(shared.status).toBe(200);
    const link = await api.request<{ downloadLink: string }>('POST', `/api/files/${fileId}/download-link`, { token: carol.token });
    const carolsLink = new URL(link.body.downloadLink).pathname;
    expect((await redeem(carol.token, carolsLink)).status).toBe(200);

    offset = minutes(11); // carol's grant has ended; her token and her link have not
    expect(await idsOf(carol.token)).not.toContain(fileId);
    expectProblem(await redeem(carol.token, carolsLink), 404, 'not_found');
    expect(await idsOf(dave.token)).toContain(fileId);

    offset = minutes(21); // the group's grant has ended too
    const daveToken = await api.login(dave.username);
    expect(await idsOf(daveToken)).not.toContain(fileId);
    expectProblem(await api.request('POST', `/api/files/${fileId}/download-link`, { token: daveToken }), 404, 'not_found');

    const report = await sweepNow(stack, 3600, clock);
    expect(report.endedGrants).toBeGreaterThanOrEqual(2);
    const counts = await stack.sql.execute({
      sql: 'select (select count(*) from file_grants where file_id = ?1) as direct, (select count(*) from group_grants where file_id = ?1) as grouped',
      args: [fileId],
    });
    expect({ ...counts.rows[0] }).toEqual({ direct: 0, grouped: 0 });
    const opsToken = await api.login(ops.username, OPS_PASSWORD);
    const audit = await api.request<{ items: Array<{ user: { id: string } }> }>('GET', `/api/files/${fileId}/downloads`, {
      token: opsToken,
    });
    expect(audit.body.items.map((d) => d.user.id)).toEqual([carol.id]);
  });
});

describe('a file’s own end', () => {
  it('set at upload, moved by PATCH; after it no client sees the file, and the sweep deletes it with its object', async () => {
    offset = 0;
    const ops = await opsUser(stack, api);
    const carol = await clientUser(api);
    const bytes = await makeDocx('ends');
    const started = await api.request<{ file: { id: string; expiresAt: string | null } }>('POST', '/api/files', {
      token: ops.token,
      json: {
        filename: 'ends.docx',
        contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        size: bytes.length,
        expiresAt: at(minutes(60)),
      },
    });
    expect(started.status).toBe(201);
    expect(Date.parse(started.body.file.expiresAt ?? '')).toBeGreaterThan(Date.now());
    expectProblem(
      await api.request('POST', '/api/files', {
        token: ops.token,
        json: {
          filename: 'late.docx',
          contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
          size: 10,
          expiresAt: at(-1000),
        },
      }),
      400,
      'validation_failed',
    );

    const fileId = await readyFile(ops.token, 'ends-later.docx');
    await api.request('PUT', `/api/files/${fileId}/sharing`, { token: ops.token, json: { allClients: true, clients: [] } });
    const patch = (expiresAt: unknown) =>
      api.request<{ file: { expiresAt: string | null } }>('PATCH', `/api/files/${fileId}`, { token: ops.token, json: { expiresAt } });
    const refused = await patch(at(-minutes(1)));
    expectProblem(refused, 400, 'validation_failed');
    expect((refused.body as unknown as { errors: Array<{ path: string }> }).errors).toEqual([
      { path: 'expiresAt', message: expect.stringContaining('future') },
    ]);
    expect((await patch(at(minutes(5)))).body.file.expiresAt).not.toBeNull();
    expect((await patch(null)).body.file.expiresAt).toBeNull();
    const end = at(minutes(30));
    expect((await patch(end)).body.file.expiresAt).toBe(end);
    const seen = await api.request<{ file: { expiresAt: string; access: { expiresAt: string | null } } }>('GET', `/api/files/${fileId}`, {
      token: carol.token,
    });
    expect(seen.body.file).toMatchObject({ expiresAt: end, access: { expiresAt: end, downloadsRemaining: null } });
    const link = await api.request<{ downloadLink: string }>('POST', `/api/files/${fileId}/download-link`, { token: carol.token });
    expect((await redeem(carol.token, new URL(link.body.downloadLink).pathname)).status).toBe(200);
    const key = await storageKeyOf(stack, fileId);

    offset = minutes(31);
    const carolToken = await api.login(carol.username);
    expect(await idsOf(carolToken)).not.toContain(fileId);
    expectProblem(await api.request('GET', `/api/files/${fileId}`, { token: carolToken }), 404, 'not_found');
    const opsToken = await api.login(ops.username, OPS_PASSWORD);
    expect((await api.request('GET', `/api/files/${fileId}`, { token: opsToken })).status).toBe(200); // until the sweep

    const report = await sweepNow(stack, 3600, clock);
    expect(report.expiredFiles).toBe(1);
    expect(await storageAdmin(stack).exists(key)).toBe(false);
    expectProblem(await api.request('GET', `/api/files/${fileId}`, { token: opsToken }), 404, 'not_found');
    const audit = await api.request<{ items: Array<{ user: { id: string } }> }>('GET', `/api/files/${fileId}/downloads`, {
      token: opsToken,
    });
    expect(audit.body.items.map((d) => d.user.id)).toEqual([carol.id]);
    const events = await api.request<{ items: Array<{ action: string }> }>('GET', `/api/audit?targetId=${fileId}`, { token: opsToken });
    expect(events.body.items.map((e) => e.action)).toEqual([
      'file.expiry_set',
      'file.expiry_set',
      'file.expiry_set',
      'file.sharing_replaced',
    ]);
    expect((await sweepNow(stack, 3600, clock)).expiredFiles).toBe(0);
  });
});
