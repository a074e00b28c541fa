import { beforeAll, describe, expect, it } from 'vitest';
import { makeDocx } from '../scripts/lib/samples';
import { type ApiClient, expectProblem } from './helpers/api';
import { clientUser, opsUser, putBytes, startUpload, sweepNow, uploadFile } from './helpers/files';
import { exactlyMail, mailTo } from './helpers/mailbox';
import { type ApiStack, startApiStack, uniqueName, useStack } from './helpers/stack';

/**
 * Telling clients about files shared with them, on both runtimes: one message per client for
 * several shares a few minutes apart, naming the files and leading to the portal, never to a
 * file; only to active clients who want it, only for files they could not see before. The
 * gathering window is passed by writing the notices' times in the past; on workerd the sweep is
 * the cron handler's, on Node the one `npm run sweep` runs. Mail is read back from the local SES
 * server.
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
const emailOf = (c: { username: string }) => `${c.username}@example.com`;

async function readyFile(filename: string) {
  const { id, complete } = await uploadFile(api, ops.token, filename, await makeDocx(crypto.randomUUID()));
  expect(complete.status).toBe(200);
  return id;
}

async function share(fileId: string, json: unknown) {
  const res = await api.request('PUT', `/api/files/${fileId}/sharing`, { token: ops.token, json });
  expect(res.status, res.text).toBe(200);
}

async function newGroup(members: Client[]) {
  const res = await api.request<{ group: { id: string; name: string } }>('POST', '/api/groups', {
    token: ops.token,
    json: { name: uniqueName('Notified') },
  });
  expect(res.status).toBe(201);
  if (members.length) {
    const set = await api.request('PUT', `/api/groups/${res.body.group.id}/members`, {
      token: ops.token,
      json: { clients: members.map((m) => m.username) },
    });
    expect(set.status).toBe(200);
  }
  return res.body.group;
}

const pendingFor = async (client: { id: string }) =>
  (await stack.sql.execute({ sql: 'select file_id from share_notices where user_id = ? order by file_id', args: [client.id] })).rows.map(
    (r) => String(r.file_id),
  );

/** The notices of these clients as if written three minutes ago, then one sweep. */
async function gatherAndSweep(clients: Array<{ id: string }>) {
  for (const client of clients) {
    await stack.sql.execute({
      sql: 'update share_notices set created_at = created_at - 180000 where user_id = ?',
      args: [client.id],
    });
  }
  await sweep();
}
const sweep = async () => {
  if (stack.runScheduled) await stack.runScheduled();
  else await sweepNow(stack, 3600);
};

describe('share notices', () => {
  it('gathers the shares of a few minutes into one message per client, naming the files and linking to the portal only', async () => {
    const [carol, erin] = [await clientUser(api), await clientUser(api)];
    const group = await newGroup([erin]);
    const first = await readyFile('Q3 <report> & "notes".docx');
    const second = await readyFile('second.docx');
    await share(first, { allClients: false, clients: [carol.username], groups: [group.name] });
    await share(second, { allClients: false, clients: [{ username: carol.username, maxDownloads: 2 }] });
    expect(await pendingFor(carol)).toEqual([first, second].sort());
    expect(await pendingFor(erin)).toEqual([first]);

    // Within the window nothing goes.
    await sweep();
    expect(await mailTo(stack.mailUrl, emailOf(carol))).toEqual([]);

    await gatherAndSweep([carol, erin]);
    const [toCarol] = await exactlyMail(stack.mailUrl, emailOf(carol), 1);
    expect(toCarol?.subject).toBe('2 documents were shared with you');
    expect(toCarol?.text).toContain('- Q3 <report> & "notes".docx\n- second.docx');
    expect(toCarol?.text).toContain(`${stack.config.publicUrl}/`);
    expect(toCarol?.html).toContain('Q3 &lt;report&gt; &amp; &quot;notes&quot;.docx');
    for (const body of [toCarol?.text ?? '', toCarol?.html ?? '']) {
      expect(body).not.toContain('/api/download/');
      expect(body).not.toContain('/api/files');
      expect(body).not.toContain(stack.storageUrl);
      expect(body).not.toMatch(/X-Amz-|#\/download/);
      for (const link of body.match(/https?:\/\/[^\s"<]+/g) ?? []) expect(link).toBe(`${stack.config.publicUrl}/`);
    }
    const [toErin] = await exactlyMail(stack.mailUrl, emailOf(erin), 1);
    expect(toErin?.subject).toBe('A document was shared with you: Q3 <report> & "notes".docx');
    expect(await pendingFor(carol)).toEqual([]);

    // The same grants written again reach nobody new: no notice, no message.
    await share(first, { allClients: false, clients: [carol.username], groups: [group.name] });
    expect(await pendingFor(carol)).toEqual([]);
    await gatherAndSweep([carol, erin]);
    await exactlyMail(stack.mailUrl, emailOf(carol), 1, 100);
  });

  it('tells nobody when ops say notify: false, clients who turned it off, or clients who are not active', async () => {
    const [carol, dave] = [await clientUser(api), await clientUser(api)];
    const pending = await api.signup(uniqueName('waiting'), undefined, undefined, { keepPending: true });
    const me = await api.request<{ user: { notifyShares: boolean } }>('GET', '/api/me', { token: dave.token });
    expect(me.body.user.notifyShares).toBe(true);
    const off = await api.request<{ user: { notifyShares: boolean } }>('PATCH', '/api/me', {
      token: dave.token,
      json: { notifyShares: false },
    });
    expect(off.status).toBe(200);
    expect(off.body.user.notifyShares).toBe(false);
    expect((await api.request<{ user: { notifyShares: boolean } }>('GET', '/api/me', { token: dave.token })).body.user.notifyShares).toBe(
      false,
    );
    expectProblem(await api.request('PATCH', '/api/me', { token: dave.token, json: { notifyShares: 'no' } }), 400, 'validation_failed');
    expectProblem(await api.request('PATCH', '/api/me', { token: dave.token, json: { role: 'ops' } }), 400, 'validation_failed');

    const quiet = await readyFile('quiet.docx');
    await share(quiet, { allClients: false, clients: [carol.username], notify: false });
    const group = await newGroup([]);
    await api.request('PUT', `/api/groups/${group.id}/members`, {
      token: ops.token,
      json: { clients: [dave.username, pending.username] },
    });
    const loud = await readyFile('loud.docx');
    await share(loud, { allClients: false, clients: [], groups: [group.name] });
    expect(await pendingFor(carol)).toEqual([]);
    expect(await pendingFor(dave)).toEqual([]);
    expect(await pendingFor(pending)).toEqual([]);

    // Turned off while a notice waits: it is dropped.
    const later = await readyFile('later.docx');
    await share(later, { allClients: false, clients: [carol.username] });
    expect(await pendingFor(carol)).toEqual([later]);
    expect((await api.request('PATCH', '/api/me', { token: carol.token, json: { notifyShares: false } })).status).toBe(200);
    expect(await pendingFor(carol)).toEqual([]);
    await gatherAndSweep([carol, dave]);
    for (const c of [carol, dave]) expect(await mailTo(stack.mailUrl, emailOf(c))).toEqual([]);
  });

  it('joining a group tells the new member about its files; a file shared while pending tells its audience once ready', async () => {
    const [carol, dave] = [await clientUser(api), await clientUser(api)];
    const group = await newGroup([]);
    const a = await readyFile('group-a.docx');
    const b = await readyFile('group-b.docx');
    await share(a, { allClients: false, clients: [], groups: [group.name] });
    await share(b, { allClients: false, clients: [carol.username], groups: [group.name] });
    expect(await pendingFor(carol)).toEqual([b]); // shared with her by name already

    expect((await api.request('POST', `/api/groups/${group.id}/members/${carol.id}`, { token: ops.token })).status).toBe(204);
    expect(await pendingFor(carol)).toEqual([a, b].sort()); // only a is new; b waits from before

    const bytes = await makeDocx('later');
    const started = await startUpload(api, ops.token, 'pending-then-ready.docx', bytes);
    await share(started.body.file.id, { allClients: false, clients: [dave.username] });
    expect(await pendingFor(dave)).toEqual([]); // nothing to see yet
    expect((await putBytes(started.body.upload, bytes)).status).toBe(200);
    expect((await api.request('POST', `/api/files/${started.body.file.id}/complete`, { token: ops.token })).status).toBe(200);
    expect(await pendingFor(dave)).toEqual([started.body.file.id]);

    // Un-shared before the sweep: not mentioned; nothing left, no message.
    await share(started.body.file.id, { allClients: false, clients: [] });
    await gatherAndSweep([carol, dave]);
    const [toCarol] = await exactlyMail(stack.mailUrl, emailOf(carol), 1);
    expect(toCarol?.text).toContain('- group-a.docx\n- group-b.docx');
    expect(await mailTo(stack.mailUrl, emailOf(dave))).toEqual([]);
    expect(await pendingFor(dave)).toEqual([]);
  });

  it('"all clients" tells every active client who could not see the file', async () => {
    const [carol, dave] = [await clientUser(api), await clientUser(api)];
    const fileId = await readyFile('everyone.docx');
    await share(fileId, { allClients: false, clients: [carol.username], notify: false });
    await share(fileId, { allClients: true, clients: [carol.username] });
    expect(await pendingFor(carol)).toEqual([]);
    expect(await pendingFor(dave)).toEqual([fileId]);
    const told = Number(
      (await stack.sql.execute({ sql: 'select count(*) as n from share_notices where file_id = ?', args: [fileId] })).rows[0]?.n,
    );
    const active = Number(
      (await stack.sql.execute("select count(*) as n from users where role = 'client' and status = 'active' and notify_shares = 1")).rows[0]
        ?.n,
    );
    expect(told).toBe(active - 1); // everyone but carol
    await gatherAndSweep([dave]);
    const [toDave] = await exactlyMail(stack.mailUrl, emailOf(dave), 1);
    expect(toDave?.subject).toBe('A document was shared with you: everyone.docx');
    await share(fileId, { allClients: false, clients: [], notify: false }); // leave the other tests' clients alone
  });
});
