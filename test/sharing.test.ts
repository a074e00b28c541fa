import { beforeAll, describe, expect, it } from 'vitest';
import { makeDocx } from '../scripts/lib/samples';
import { type ApiClient, type ApiResponse, expectProblem } from './helpers/api';
import { clientUser, opsUser, storageAdmin, sweepNow, uploadFile } from './helpers/files';
import { type ApiStack, startApiStack, uniqueName, useStack } from './helpers/stack';

/**
 * Sharing as businesses use it, on both runtimes: client groups, grants with an end and a
 * download limit, the client's view of its terms, ops' view of who has access and why, and the
 * refusals. Visibility is computed on every request, so each change shows on the next one. Ends
 * are written in the past through the database here (the worker's clock cannot move); the
 * Node-only suite (sharing-clock.test.ts) moves the clock instead.
 */
let stack: ApiStack;
let api: ApiClient;
let ops: Awaited<ReturnType<typeof opsUser>>;

useStack(
  () => startApiStack(),
  (s, a) => {
    stack = s;
    api = a;
  },
);
beforeAll(async () => {
  ops = await opsUser(stack, api);
});

type Client = Awaited<ReturnType<typeof clientUser>>;
interface Group {
  id: string;
  name: string;
  members: number;
  activeMembers: number;
}
interface GroupDetail {
  group: Group;
  members: Array<{ id: string; username: string; status: string }>;
  files: Array<{ file: { id: string }; expiresAt: string | null; maxDownloads: number | null }>;
}
interface Terms {
  expiresAt: string | null;
  maxDownloads: number | null;
}
interface Sharing {
  allClients: false | Terms;
  clients: Array<{ id: string; username: string } & Terms>;
  groups: Array<{ id: string; name: string } & Terms>;
}
interface FileItem {
  id: string;
  access?: { expiresAt: string | null; downloadsRemaining: number | null };
}

const noTerms = { expiresAt: null, maxDownloads: null };
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

async function newGroup(name = uniqueName('Group')): Promise<Group> {
  const res = await api.request<{ group: Group }>('POST', '/api/groups', { token: ops.token, json: { name } });
  expect(res.status).toBe(201);
  return res.body.group;
}

async function setMembers(group: Group, clients: Array<{ username: string }>) {
  const res = await api.request<GroupDetail>('PUT', `/api/groups/${group.id}/members`, {
    token: ops.token,
    json: { clients: clients.map((c) => c.username) },
  });
  expect(res.status).toBe(200);
  return res.body;
}

async function readyFile(filename = 'shared.docx') {
  const { id, complete } = await uploadFile(api, ops.token, filename, await makeDocx(crypto.randomUUID()));
  expect(complete.status).toBe(200);
  return id;
}

const share = (fileId: string, json: unknown) => api.request<Sharing>('PUT', `/api/files/${fileId}/sharing`, { token: ops.token, json });

async function shared(fileId: string, json: unknown): Promise<Sharing> {
  const res = await share(fileId, json);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

const sharingOf = async (fileId: string) => (await api.request<Sharing>('GET', `/api/files/${fileId}/sharing`, { token: ops.token })).body;

async function listOf(client: Client, limit = 100): Promise<FileItem[]> {
  const items: FileItem[] = [];
  let cursor: string | null = null;
  do {
    const page: ApiResponse<{ items: FileItem[]; nextCursor: string | null }> = await api.request(
      'GET',
      `/api/files?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      { token: client.token },
    );
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}
const idsOf = async (client: Client) => (await listOf(client)).map((f) => f.id);

async function linkFor(client: Client, fileId: string): Promise<string> {
  const res = await api.request<{ downloadLink: string }>('POST', `/api/files/${fileId}/download-link`, { token: client.token });
  expect(res.status, res.text).toBe(200);
  return new URL(res.body.downloadLink).pathname;
}
const redeem = (client: Client, path: string) => api.request('GET', path, { token: client.token, headers: { accept: 'application/json' } });

const count = async (sql: string, args: string[]) => Number((await stack.sql.execute({ sql, args })).rows[0]?.n);

describe('client groups', () => {
  it('ops create, list with member counts, show, rename and delete groups; names are unique whatever their case', async () => {
    const base = uniqueName('Acme');
    const group = await newGroup(`  ${base}   Corp `);
    expect(group).toMatchObject({ name: `${base} Corp`, members: 0, activeMembers: 0 });
    expectProblem(
      await api.request('POST', '/api/groups', { token: ops.token, json: { name: `${base.toUpperCase()} CORP` } }),
      409,
      'group_name_taken',
    );

    const [active, other] = [await clientUser(api), await clientUser(api)];
    const pending = await api.signup(uniqueName('pending'), undefined, undefined, { keepPending: true });
    const detail = await setMembers(group, [active, pending, other]);
    expect(detail.group).toMatchObject({ members: 3, activeMembers: 2 });
    expect(detail.members.map((m) => m.username)).toEqual([active.username, other.username, pending.username].sort());
    expect(detail.members.find((m) => m.id === pending.id)?.status).toBe('pending');

    const list = await api.request<{ items: Group[] }>('GET', `/api/groups?q=${encodeURIComponent(base.toLowerCase())}`, {
      token: ops.token,
    });
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([expect.objectContaining({ id: group.id, members: 3, activeMembers: 2 })]);

    const second = await newGroup(`${base} Bank`);
    const page1 = await api.request<{ items: Group[]; nextCursor: string | null }>('GET', `/api/groups?q=${base}&limit=1`, {
      token: ops.token,
    });
    expect(page1.body.items.map((g) => g.id)).toEqual([second.id]); // "… Bank" before "… Corp"
    const page2 = await api.request<{ items: Group[]; nextCursor: string | null }>(
      'GET',
      `/api/groups?q=${base}&limit=1&cursor=${page1.body.nextCursor}`,
      { token: ops.token },
    );
    expect(page2.body.items.map((g) => g.id)).toEqual([group.id]);
    expect(page2.body.nextCursor).toBeNull();

    const renamed = await api.request<{ group: Group }>('PATCH', `/api/groups/${group.id}`, {
      token: ops.token,
      json: { name: `${base} Ltd` },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.group).toMatchObject({ id: group.id, name: `${base} Ltd`, members: 3 });
    expectProblem(
      await api.request('PATCH', `/api/groups/${group.id}`, { token: ops.token, json: { name: `${base} bank` } }),
      409,
      'group_name_taken',
    );
    // Its own name in another case is its own.
    expect((await api.request('PATCH', `/api/groups/${group.id}`, { token: ops.token, json: { name: `${base} LTD` } })).status).toBe(200);

    expect((await api.request('DELETE', `/api/groups/${second.id}`, { token: ops.token })).status).toBe(204);
    expectProblem(await api.request('GET', `/api/groups/${second.id}`, { token: ops.token }), 404, 'not_found');
    expectProblem(await api.request('DELETE', `/api/groups/${second.id}`, { token: ops.token }), 404, 'not_found');

    const audit = await api.request<{ items: Array<{ action: string; details: Record<string, unknown> }> }>(
      'GET',
      `/api/audit?targetId=${group.id}`,
      { token: ops.token },
    );
    expect(audit.body.items.map((e) => e.action)).toEqual(['group.renamed', 'group.renamed', 'group.members_replaced', 'group.created']);
    expect(audit.body.items[2]?.details).toEqual({ members: 3, added: 3, removed: 0 });
  });

  it('adds and removes one member at a time; any client may be a member, never ops; refuses bad names and clients', async () => {
    const group = await newGroup();
    const client = await clientUser(api);
    const add = (userId: string) => api.request('POST', `/api/groups/${group.id}/members/${userId}`, { token: ops.token });
    expect((await add(client.id)).status).toBe(204);
    expect((await add(client.id)).status).toBe(204); // again: nothing changes
    expectProblem(await add(ops.id), 404, 'not_found');
    expectProblem(await add(crypto.randomUUID()), 404, 'not_found');
    expectProblem(
      await api.request('POST', `/api/groups/${crypto.randomUUID()}/members/${client.id}`, { token: ops.token }),
      404,
      'not_found',
    );
    expect((await api.request<GroupDetail>('GET', `/api/groups/${group.id}`, { token: ops.token })).body.members.map((m) => m.id)).toEqual([
      client.id,
    ]);
    expect(
      await count('select count(*) as n from audit_events where action = ? and target_id = ?', ['group.member_added', client.id]),
    ).toBe(1);

    const remove = () => api.request('DELETE', `/api/groups/${group.id}/members/${client.id}`, { token: ops.token });
    expect((await remove()).status).toBe(204);
    expectProblem(await remove(), 404, 'not_found');

    const refused = await api.request<{ errors: Array<{ path: string; message: string }> }>('PUT', `/api/groups/${group.id}/members`, {
      token: ops.token,
      json: { clients: [client.username, 'nobody-of-that-name', ops.username] },
    });
    expectProblem(refused, 400, 'validation_failed');
    expect(refused.body.errors.map((e) => e.path)).toEqual(['clients.1', 'clients.2']);
    const tooMany = await api.request<{ errors: Array<{ path: string }> }>('PUT', `/api/groups/${group.id}/members`, {
      token: ops.token,
      json: { clients: Array.from({ length: 1001 }, (_, i) => `c${i}`) },
    });
    expectProblem(tooMany, 400, 'validation_failed');
    expect(tooMany.body.errors.map((e) => e.path)).toEqual(['clients']);
    expect(await count('select count(*) as n from group_members where group_id = ?', [group.id])).toBe(0);

    for (const name of ['', ' ', 'x'.repeat(65), '-starts-with-a-dash', 'semi;colon', 'slash/inside', 'emoji 🎉', 'nul\u0000']) {
      const res = await api.request<{ errors: Array<{ path: string }> }>('POST', '/api/groups', { token: ops.token, json: { name } });
      expectProblem(res, 400, 'validation_failed');
      expect([...new Set(res.body.errors.map((e) => e.path))]).toEqual(['name']);
    }
    expect(
      (await api.request('POST', '/api/groups', { token: ops.token, json: { name: `Müller & Söhne ${uniqueName('')}` } })).status,
    ).toBe(201);

    expectProblem(await api.request('GET', '/api/groups', { token: client.token }), 403, 'forbidden');
    expectProblem(await api.request('POST', '/api/groups', { token: client.token, json: { name: 'Mine' } }), 403, 'forbidden');
  });
});

describe('visibility through groups, decided on every request', () => {
  it('members see a group’s file at once; a new member at once; a removed one no more, its link included', async () => {
    const group = await newGroup();
    const [carol, dave] = [await clientUser(api), await clientUser(api)];
    await setMembers(group, [carol]);
    const fileId = await readyFile();
    const sharing = await shared(fileId, { allClients: false, clients: [], groups: [group.name.toUpperCase()] });
    expect(sharing.groups).toEqual([{ id: group.id, name: group.name, ...noTerms }]);

    expect(await idsOf(carol)).toContain(fileId);
    expect(await idsOf(dave)).not.toContain(fileId);
    const carolsLink = await linkFor(carol, fileId);
    expect((await redeem(carol, carolsLink)).status).toBe(200);

    expect((await api.request('POST', `/api/groups/${group.id}/members/${dave.id}`, { token: ops.token })).status).toBe(204);
    expect(await idsOf(dave)).toContain(fileId);
    const davesLink = await linkFor(dave, fileId);

    expect((await api.request('DELETE', `/api/groups/${group.id}/members/${carol.id}`, { token: ops.token })).status).toBe(204);
    expect(await idsOf(carol)).not.toContain(fileId);
    expectProblem(await api.request('GET', `/api/files/${fileId}`, { token: carol.token }), 404, 'not_found');
    expectProblem(await redeem(carol, carolsLink), 404, 'not_found');
    expect((await redeem(dave, davesLink)).status).toBe(200);

    // Replacing the members: dave out, carol back.
    await setMembers(group, [carol]);
    expectProblem(await redeem(dave, davesLink), 404, 'not_found');
    expect((await redeem(carol, carolsLink)).status).toBe(200);
  });

  it('only active members see anything: a pending member sees the file once approved, a disabled one no more', async () => {
    const group = await newGroup();
    const pending = await api.signup(uniqueName('waiting'), 'correct horse battery', undefined, { keepPending: true });
    const token = await api.login(pending.username);
    const fileId = await readyFile();
    await setMembers(group, [pending]);
    await shared(fileId, { allClients: false, clients: [], groups: [group.name] });
    const client = { id: pending.id, username: pending.username, token };
    expect(await idsOf(client)).toEqual([]);
    expect((await api.request('POST', `/api/users/${pending.id}/approve`, { token: ops.token })).status).toBe(200);
    expect(await idsOf(client)).toEqual([fileId]);
    const link = await linkFor(client, fileId);
    expect((await api.request('POST', `/api/users/${pending.id}/disable`, { token: ops.token })).status).toBe(200);
    expect((await redeem(client, link)).status).toBe(401);
  });

  it('un-sharing the group, or deleting it, stops every issued link at once; the accounts and the file stay', async () => {
    const [first, second] = [await newGroup(), await newGroup()];
    const carol = await clientUser(api);
    await setMembers(first, [carol]);
    await setMembers(second, [carol]);
    const fileId = await readyFile();
    await shared(fileId, { allClients: false, clients: [], groups: [first.name, second.name] });
    const link = await linkFor(carol, fileId);

    await shared(fileId, { allClients: false, clients: [], groups: [second.name] });
    expect((await redeem(carol, link)).status).toBe(200); // still reached through the second group
    expect((await api.request('DELETE', `/api/groups/${second.id}`, { token: ops.token })).status).toBe(204);
    expectProblem(await redeem(carol, link), 404, 'not_found');
    expect(await idsOf(carol)).not.toContain(fileId);
    expect((await sharingOf(fileId)).groups).toEqual([]);
    expect(await count('select count(*) as n from group_grants where file_id = ?', [fileId])).toBe(0);
    expect((await api.request('GET', `/api/files/${fileId}`, { token: ops.token })).status).toBe(200);
    expect((await api.request('GET', `/api/users/${carol.id}`, { token: ops.token })).status).toBe(200);
  });

  it('the client’s list pages through files shared with all, by name and through groups in one order, each file once', async () => {
    const [g1, g2] = [await newGroup(), await newGroup()];
    const carol = await clientUser(api);
    await setMembers(g1, [carol]);
    await setMembers(g2, [carol]);
    const ids: string[] = [];
    const ways = [
      { allClients: false, clients: [carol.username], groups: [] },
      { allClients: false, clients: [], groups: [g1.name] },
      { allClients: false, clients: [], groups: [g2.name] },
      { allClients: false, clients: [carol.username], groups: [g1.name, g2.name] },
      { allClients: false, clients: [], groups: [g1.name, g2.name] },
      { allClients: false, clients: [], groups: [] }, // not hers
      { allClients: false, clients: [carol.username], groups: [g2.name] },
    ];
    for (const [i, way] of ways.entries()) {
      const id = await readyFile(`page-${i}.docx`);
      await shared(id, way);
      if (way.clients.length + way.groups.length > 0) ids.unshift(id);
    }
    const everything = await listOf(carol, 100);
    const mine = everything.map((f) => f.id).filter((id) => ids.includes(id));
    expect(mine).toEqual(ids);
    for (const limit of [1, 2, 3]) {
      const paged = (await listOf(carol, limit)).map((f) => f.id);
      expect(paged).toEqual(everything.map((f) => f.id));
      expect(new Set(paged).size).toBe(paged.length);
    }
  });
});

describe('the grant set: groups and terms', () => {
  it('takes names or objects; GET answers what PUT set, each grant with its terms', async () => {
    const group = await newGroup();
    const [carol, dave] = [await clientUser(api), await clientUser(api)];
    const fileId = await readyFile();
    const end = inDays(7);
    const body = await shared(fileId, {
      allClients: { expiresAt: end },
      clients: [carol.username, { username: dave.username, maxDownloads: 3, expiresAt: end }],
      groups: [{ name: group.name, maxDownloads: 5 }],
    });
    const expected: Sharing = {
      allClients: { expiresAt: end, maxDownloads: null },
      clients: [
        { id: carol.id, username: carol.username, ...noTerms },
        { id: dave.id, username: dave.username, expiresAt: end, maxDownloads: 3 },
      ].sort((a, b) => (a.username < b.username ? -1 : 1)),
      groups: [{ id: group.id, name: group.name, expiresAt: null, maxDownloads: 5 }],
    };
    expect(body).toEqual(expected);
    expect(await sharingOf(fileId)).toEqual(expected);
    // Written back as it was read: the same.
    expect(
      await shared(
        fileId,
        await sharingOf(fileId).then(({ clients, groups, allClients }) => ({
          allClients,
          clients: clients.map(({ id: _, ...c }) => c),
          groups: groups.map(({ id: _, ...g }) => g),
        })),
      ),
    ).toEqual(expected);
  });

  it('a term left out keeps what the grant has, null removes it; groups left out stay; an end offset is understood', async () => {
    const group = await newGroup();
    const carol = await clientUser(api);
    const fileId = await readyFile();
    const end = inDays(3);
    await shared(fileId, {
      allClients: { maxDownloads: 2 },
      clients: [{ username: carol.username, expiresAt: end, maxDownloads: 4 }],
      groups: [{ name: group.name, expiresAt: end }],
    });
    // A caller that knows nothing of terms or groups: everything it did not name stays.
    const kept = await shared(fileId, { allClients: true, clients: [carol.username] });
    expect(kept.allClients).toEqual({ expiresAt: null, maxDownloads: 2 });
    expect(kept.clients).toEqual([{ id: carol.id, username: carol.username, expiresAt: end, maxDownloads: 4 }]);
    expect(kept.groups).toEqual([{ id: group.id, name: group.name, expiresAt: end, maxDownloads: null }]);

    const plusTwo = new Date(Date.parse(end) + 86_400_000).toISOString().replace('Z', '+02:00');
    const changed = await shared(fileId, {
      allClients: { maxDownloads: null },
      clients: [{ username: carol.username, expiresAt: null }],
      groups: [{ name: group.name, expiresAt: plusTwo }],
    });
    expect(changed.allClients).toEqual(noTerms);
    expect(changed.clients[0]).toMatchObject({ expiresAt: null, maxDownloads: 4 });
    expect(changed.groups[0]?.expiresAt).toBe(new Date(plusTwo).toISOString());
    expect((await shared(fileId, { allClients: false, clients: [], groups: [] })).groups).toEqual([]);
  });

  it('refuses an unknown group or client, an end not in the future, a limit below 1, over 1,000 recipients; nothing changes', async () => {
    const group = await newGroup();
    const carol = await clientUser(api);
    const fileId = await readyFile();
    const before = await shared(fileId, {
      allClients: false,
      clients: [{ username: carol.username, maxDownloads: 2 }],
      groups: [group.name],
    });
    const state = async () => ({
      sharing: await sharingOf(fileId),
      grants: await count('select count(*) as n from file_grants where file_id = ?', [fileId]),
      groupGrants: await count('select count(*) as n from group_grants where file_id = ?', [fileId]),
      files: (
        await stack.sql.execute({
          sql: 'select shared_with_all_clients, all_clients_expires_at, all_clients_max_downloads from files where id = ?',
          args: [fileId],
        })
      ).rows.map((r) => ({ ...r })),
      audits: await count('select count(*) as n from audit_events where target_id = ?', [fileId]),
    });
    const unchanged = await state();
    expect(unchanged.sharing).toEqual(before);
    const past = new Date(Date.now() - 60_000).toISOString();
    const cases: Array<[unknown, string[]]> = [
      [{ allClients: true, clients: [], groups: ['No such group anywhere'] }, ['groups.0']],
      [{ allClients: true, clients: ['nobody-of-that-name'], groups: [] }, ['clients.0']],
      [{ allClients: true, clients: [{ username: carol.username, expiresAt: past }] }, ['clients.0.expiresAt']],
      [{ allClients: { expiresAt: past }, clients: [] }, ['allClients.expiresAt']],
      [{ allClients: false, clients: [], groups: [{ name: group.name, expiresAt: past }] }, ['groups.0.expiresAt']],
      [{ allClients: false, clients: [], groups: [{ name: group.name, expiresAt: 'next tuesday' }] }, ['groups.0.expiresAt']],
      [{ allClients: false, clients: [], groups: [{ name: group.name, expiresAt: '2030-01-01T00:00:00' }] }, ['groups.0.expiresAt']],
      [{ allClients: false, clients: [{ username: carol.username, maxDownloads: 0 }] }, ['clients.0.maxDownloads']],
      [{ allClients: false, clients: [{ username: carol.username, maxDownloads: -1 }] }, ['clients.0.maxDownloads']],
      [{ allClients: false, clients: [{ username: carol.username, maxDownloads: 1.5 }] }, ['clients.0.maxDownloads']],
      [{ allClients: { maxDownloads: 0 }, clients: [] }, ['allClients.maxDownloads']],
      [{ allClients: false, clients: [{ username: carol.username, colour: 'red' }] }, ['clients.0.colour']],
      [{ allClients: false, clients: [carol.username, { username: carol.username, maxDownloads: 9 }] }, ['clients.1']],
      [{ allClients: false, clients: Array.from({ length: 1001 }, (_, i) => `client-${i}`) }, ['clients']],
      [
        {
          allClients: false,
          clients: Array.from({ length: 600 }, (_, i) => `client-${i}`),
          groups: Array.from({ length: 401 }, (_, i) => `Group ${i}`),
        },
        ['clients'],
      ],
      // Once the body has the right shape, every problem with what it names, together.
      [
        {
          allClients: { expiresAt: past },
          clients: ['nobody-of-that-name', carol.username, { username: carol.username, maxDownloads: 3 }],
          groups: ['Nope'],
        },
        ['allClients.expiresAt', 'clients.0', 'clients.2', 'groups.0'],
      ],
    ];
    for (const [json, paths] of cases) {
      const res = await share(fileId, json);
      expectProblem(res as unknown as ApiResponse, 400, 'validation_failed');
      expect(
        (res.body as unknown as { errors: Array<{ path: string }> }).errors.map((e) => e.path),
        JSON.stringify(json).slice(0, 200),
      ).toEqual(paths);
    }
    expect(await state()).toEqual(unchanged);
  });
});

describe('ends (written in the past here; moved by the clock in sharing-clock.test.ts)', () => {
  it('after a grant ends the file leaves the list and its link stops; the download audit keeps what happened', async () => {
    const group = await newGroup();
    const [carol, dave, erin] = [await clientUser(api), await clientUser(api), await clientUser(api)];
    await setMembers(group, [dave]);
    const fileId = await readyFile();
    const end = inDays(1);
    await shared(fileId, {
      allClients: { expiresAt: end },
      clients: [{ username: carol.username, expiresAt: end }],
      groups: [{ name: group.name, expiresAt: end }],
    });
    const links = new Map<Client, string>();
    for (const client of [carol, dave, erin]) {
      expect((await listOf(client)).find((f) => f.id === fileId)?.access).toEqual({ expiresAt: end, downloadsRemaining: null });
      links.set(client, await linkFor(client, fileId));
      expect((await redeem(client, links.get(client) as string)).status).toBe(200);
    }

    const past = Date.now() - 1000;
    await stack.sql.execute({ sql: 'update file_grants set expires_at = ? where file_id = ?', args: [past, fileId] as never[] });
    expect(await idsOf(carol)).toContain(fileId); // still reached by "all clients"
    await stack.sql.execute({ sql: 'update files set all_clients_expires_at = ? where id = ?', args: [past, fileId] as never[] });
    expect(await idsOf(carol)).not.toContain(fileId);
    expect(await idsOf(erin)).not.toContain(fileId);
    expect(await idsOf(dave)).toContain(fileId); // the group's grant has not ended
    expectProblem(await redeem(carol, links.get(carol) as string), 404, 'not_found');
    expectProblem(await api.request('POST', `/api/files/${fileId}/download-link`, { token: erin.token }), 404, 'not_found');
    await stack.sql.execute({ sql: 'update group_grants set expires_at = ? where file_id = ?', args: [past, fileId] as never[] });
    expectProblem(await redeem(dave, links.get(dave) as string), 404, 'not_found');
    expect(await sharingOf(fileId)).toEqual({ allClients: false, clients: [], groups: [] });
    const access = await api.request<{ items: unknown[] }>('GET', `/api/files/${fileId}/access`, { token: ops.token });
    expect(access.body.items).toEqual([]);

    const audit = await api.request<{ items: Array<{ user: { id: string } }> }>('GET', `/api/files/${fileId}/downloads`, {
      token: ops.token,
    });
    expect(audit.body.items.map((d) => d.user.id).sort()).toEqual([carol.id, dave.id, erin.id].sort());

    // Shared again by name: a new grant, with no end.
    const again = await shared(fileId, { allClients: false, clients: [carol.username] });
    expect(again.clients[0]).toMatchObject(noTerms);
    expect((await redeem(carol, links.get(carol) as string)).status).toBe(200);
  });
});

describe('a file’s own end', () => {
  it('set by PATCH (in the future only); once past, no client sees the file, and the sweep deletes it with its object', async () => {
    const carol = await clientUser(api);
    const fileId = await readyFile('short-lived.docx');
    await shared(fileId, { allClients: true, clients: [] });
    const patch = (expiresAt: unknown) => api.request('PATCH', `/api/files/${fileId}`, { token: ops.token, json: { expiresAt } });
    for (const bad of [new Date(Date.now() - 1000).toISOString(), 'soon', 5, undefined]) {
      const res = await patch(bad);
      expectProblem(res, 400, 'validation_failed');
      expect((res.body as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual(['expiresAt']);
    }
    expect((await patch(inDays(1))).status).toBe(200);
    const link = await linkFor(carol, fileId);
    expect((await redeem(carol, link)).status).toBe(200);
    const key = String(
      (await stack.sql.execute({ sql: 'select storage_key from files where id = ?', args: [fileId] })).rows[0]?.storage_key,
    );

    await stack.sql.execute({ sql: 'update files set expires_at = ? where id = ?', args: [Date.now() - 1000, fileId] as never[] });
    expect(await idsOf(carol)).not.toContain(fileId);
    expectProblem(await redeem(carol, link), 404, 'not_found');
    expectProblem(await api.request('GET', `/api/files/${fileId}`, { token: carol.token }), 404, 'not_found');

    if (stack.runScheduled) await stack.runScheduled();
    else await sweepNow(stack, 3600);
    expectProblem(await api.request('GET', `/api/files/${fileId}`, { token: ops.token }), 404, 'not_found');
    expect(await storageAdmin(stack).exists(key)).toBe(false);
    const audit = await api.request<{ items: Array<{ user: { id: string } }> }>('GET', `/api/files/${fileId}/downloads`, {
      token: ops.token,
    });
    expect(audit.body.items.map((d) => d.user.id)).toEqual([carol.id]);
  });
});

describe('download limits', () => {
  it('the client sees what remains; past the limit the link and a new one are refused with 410 download_limit_reached', async () => {
    const carol = await clientUser(api);
    const fileId = await readyFile();
    await shared(fileId, { allClients: false, clients: [{ username: carol.username, maxDownloads: 2 }] });
    const remaining = async () => (await listOf(carol)).find((f) => f.id === fileId)?.access?.downloadsRemaining;
    expect(await remaining()).toBe(2);
    const link = await linkFor(carol, fileId);
    expect((await redeem(carol, link)).status).toBe(200);
    expect(
      (await api.request<{ file: FileItem }>('GET', `/api/files/${fileId}`, { token: carol.token })).body.file.access?.downloadsRemaining,
    ).toBe(1);
    expect((await redeem(carol, link)).status).toBe(200);
    expect(await remaining()).toBe(0);
    expectProblem(await redeem(carol, link), 410, 'download_limit_reached');
    expectProblem(await api.request('POST', `/api/files/${fileId}/download-link`, { token: carol.token }), 410, 'download_limit_reached');
    // Refusals are not downloads.
    expect(await count('select count(*) as n from downloads where file_id = ?', [fileId])).toBe(2);

    // Ops raise the limit: the downloads made still count.
    await shared(fileId, { allClients: false, clients: [{ username: carol.username, maxDownloads: 3 }] });
    expect(await remaining()).toBe(1);
    expect((await redeem(carol, link)).status).toBe(200);
    expectProblem(await redeem(carol, link), 410, 'download_limit_reached');
  });

  it('several grants reach one client: the most generous counts, term by term, and drops out when it ends', async () => {
    const [g1, g2] = [await newGroup(), await newGroup()];
    const carol = await clientUser(api);
    await setMembers(g1, [carol]);
    await setMembers(g2, [carol]);
    const fileId = await readyFile();
    const soon = inDays(1);
    const later = inDays(9);
    await shared(fileId, {
      allClients: false,
      clients: [{ username: carol.username, maxDownloads: 1, expiresAt: soon }],
      groups: [
        { name: g1.name, maxDownloads: 4, expiresAt: later },
        { name: g2.name, maxDownloads: 2 },
      ],
    });
    const access = async () =>
      (await api.request<{ file: FileItem }>('GET', `/api/files/${fileId}`, { token: carol.token })).body.file.access;
    expect(await access()).toEqual({ expiresAt: null, downloadsRemaining: 4 });
    // The most generous limit ends with its group's membership.
    expect((await api.request('DELETE', `/api/groups/${g1.id}/members/${carol.id}`, { token: ops.token })).status).toBe(204);
    expect(await access()).toEqual({ expiresAt: null, downloadsRemaining: 2 });
    // A grant with no limit beats every limit.
    await shared(fileId, { allClients: true, clients: [carol.username] });
    expect(await access()).toEqual({ expiresAt: null, downloadsRemaining: null });
  });
});

describe('who has access', () => {
  it('every active client who can see the file now and why, with its terms, downloads made and the last one', async () => {
    const group = await newGroup();
    const [carol, dave] = [await clientUser(api), await clientUser(api)];
    const pending = await api.signup(uniqueName('waiting'), undefined, undefined, { keepPending: true });
    await setMembers(group, [carol, pending]);
    const fileId = await readyFile();
    const end = inDays(2);
    await shared(fileId, {
      allClients: false,
      clients: [{ username: carol.username, maxDownloads: 3 }, dave.username],
      groups: [{ name: group.name, expiresAt: end, maxDownloads: 1 }],
    });
    const link = await linkFor(carol, fileId);
    expect((await redeem(carol, link)).status).toBe(200);

    type Member = {
      client: { id: string };
      via: Array<{ kind: string; group: { id: string; name: string } | null } & Terms>;
      expiresAt: string | null;
      maxDownloads: number | null;
      downloadsUsed: number;
      downloadsRemaining: number | null;
      lastDownloadAt: string | null;
    };
    const res = await api.request<{ items: Member[]; nextCursor: string | null }>('GET', `/api/files/${fileId}/access`, {
      token: ops.token,
    });
    expect(res.status).toBe(200);
    const byId = new Map(res.body.items.map((m) => [m.client.id, m]));
    expect([...byId.keys()].sort()).toEqual([carol.id, dave.id].sort()); // the pending member sees nothing
    expect(byId.get(carol.id)).toMatchObject({
      via: [
        { kind: 'direct', group: null, expiresAt: null, maxDownloads: 3 },
        { kind: 'group', group: { id: group.id, name: group.name }, expiresAt: end, maxDownloads: 1 },
      ],
      expiresAt: null,
      maxDownloads: 3,
      downloadsUsed: 1,
      downloadsRemaining: 2,
    });
    expect(Date.parse(byId.get(carol.id)?.lastDownloadAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(byId.get(dave.id)).toMatchObject({ via: [{ kind: 'direct', ...noTerms }], downloadsUsed: 0, lastDownloadAt: null });

    // With "all clients", every active client is in it, a page at a time.
    await shared(fileId, { allClients: { expiresAt: end }, clients: [dave.username] });
    const seen: Member[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse<{ items: Member[]; nextCursor: string | null }> = await api.request(
        'GET',
        `/api/files/${fileId}/access?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: ops.token },
      );
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    const active = await count("select count(*) as n from users where role = 'client' and status = 'active'", []);
    expect(seen).toHaveLength(active);
    expect(seen.find((m) => m.client.id === dave.id)?.via.map((v) => v.kind)).toEqual(['direct', 'all_clients']);
    expect(seen.find((m) => m.client.id === carol.id)?.via.map((v) => v.kind)).toEqual(['group', 'all_clients']);
    expect(seen.find((m) => m.client.id === pending.id)).toBeUndefined();

    expectProblem(await api.request('GET', `/api/files/${fileId}/access`, { token: carol.token }), 403, 'forbidden');
    expectProblem(await api.request('GET', `/api/files/${crypto.randomUUID()}/access`, { token: ops.token }), 404, 'not_found');
  });

  it('the ops view of a client names the groups a file comes through', async () => {
    const group = await newGroup();
    const carol = await clientUser(api);
    await setMembers(group, [carol]);
    const fileId = await readyFile('via-group.docx');
    await shared(fileId, { allClients: false, clients: [], groups: [group.name] });
    const detail = await api.request<{ shares: Array<{ file: { id: string }; via: string; groups: unknown[] }> }>(
      'GET',
      `/api/users/${carol.id}`,
      { token: ops.token },
    );
    expect(detail.body.shares.find((s) => s.file.id === fileId)).toEqual({
      file: { id: fileId, filename: 'via-group.docx' },
      via: 'group',
      groups: [{ id: group.id, name: group.name }],
    });
  });
});
