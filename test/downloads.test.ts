import { EncryptJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeDocx } from '../scripts/lib/samples';
import { createLinkTokens, deriveLinkKey } from '../shared/link-tokens';
import { type ApiClient, expectProblem } from './helpers/api';
import { clientUser, opsUser, storageKeyOf, uploadFile } from './helpers/files';
import { type ApiStack, startApiStack, useStack } from './helpers/stack';

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

/** An uploaded, ready file shared with the given client. */
async function sharedFile(client: { username: string }, filename = 'shared.docx') {
  const bytes = await makeDocx(`for ${client.username} ${crypto.randomUUID()}`);
  const { id, complete } = await uploadFile(api, ops.token, filename, bytes);
  expect(complete.status).toBe(200);
  const shared = await api.request('PUT', `/api/files/${id}/sharing`, {
    token: ops.token,
    json: { allClients: false, clients: [client.username] },
  });
  expect(shared.status).toBe(200);
  return { id, bytes };
}

async function issueLink(token: string, fileId: string) {
  const res = await api.request<{ downloadLink: string; expiresAt: string }>('POST', `/api/files/${fileId}/download-link`, { token });
  expect(res.status).toBe(200);
  return res.body;
}

const follow = (link: string, token?: string, accept?: string) =>
  fetch(link, { redirect: 'manual', headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(accept ? { accept } : {}) } });

describe('the journey: ops uploads and shares, the client downloads the same bytes', () => {
  it('lists, gets a link, follows it to storage, and receives the file byte for byte', async () => {
    const client = await clientUser(api);
    const { id, bytes } = await sharedFile(client, 'Präsentation "Q3"; final.docx');

    const list = await api.request<{ items: Array<{ id: string }> }>('GET', '/api/files', { token: client.token });
    expect(list.body.items.map((f) => f.id)).toEqual([id]);

    const link = await api.request<{ downloadLink: string; expiresAt: string }>('POST', `/api/files/${id}/download-link`, {
      token: client.token,
    });
    expect(link.status).toBe(200);
    expect(link.headers.get('cache-control')).toBe('no-store');
    expect(link.body.downloadLink.startsWith(`${stack.config.publicUrl}/api/download/`)).toBe(true);
    const ttl = (Date.parse(link.body.expiresAt) - Date.now()) / 1000;
    expect(ttl).toBeGreaterThan(800);
    expect(ttl).toBeLessThanOrEqual(900);

    const redirect = await follow(link.body.downloadLink, client.token);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('cache-control')).toBe('no-store');
    expect(redirect.headers.get('referrer-policy')).toBe('no-referrer');
    const location = new URL(redirect.headers.get('location') ?? '');
    expect(location.origin).toBe(stack.storageUrl);
    expect(Number(location.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(60);

    const download = await fetch(location);
    expect(download.status).toBe(200);
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(bytes);
    const disposition = download.headers.get('content-disposition') ?? '';
    expect(disposition).toMatch(/^attachment; filename="Pr_sentation _Q3_; final\.docx"; filename\*=UTF-8''/);
    expect(decodeURIComponent(disposition.split("filename*=UTF-8''")[1] ?? '')).toBe('Präsentation "Q3"; final.docx');
  });

  it('answers JSON instead of a redirect when asked for application/json', async () => {
    const client = await clientUser(api);
    const { id, bytes } = await sharedFile(client);
    const { downloadLink } = await issueLink(client.token, id);
    const res = await follow(downloadLink, client.token, 'application/json');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const body = (await res.json()) as { url: string; expiresAt: string };
    expect(Date.parse(body.expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);
    expect(new Uint8Array(await (await fetch(body.url)).arrayBuffer())).toEqual(bytes);
  });
});

describe('the link token reveals nothing', () => {
  it('is a JWE (dir, A256GCM) whose readable parts name no file, user or storage key', async () => {
    const client = await clientUser(api);
    const { id } = await sharedFile(client);
    const { downloadLink } = await issueLink(client.token, id);
    const token = downloadLink.split('/api/download/')[1] ?? '';
    const parts = token.split('.');
    expect(parts).toHaveLength(5);
    expect(JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString())).toEqual({ alg: 'dir', enc: 'A256GCM', typ: 'dl+jwt' });
    expect(parts[1]).toBe(''); // direct encryption: no wrapped key
    const secrets = [id, client.id, client.username, await storageKeyOf(stack, id), 'shared.docx'];
    const readable = [token, ...parts.map((p) => Buffer.from(p, 'base64url').toString('latin1'))].join('\n');
    for (const secret of secrets) expect(readable).not.toContain(secret);
  });
});

describe('following a link: every refusal', () => {
  let client: Awaited<ReturnType<typeof clientUser>>;
  let file: { id: string };
  let link: string;
  beforeAll(async () => {
    client = await clientUser(api);
    file = await sharedFile(client);
    link = (await issueLink(client.token, file.id)).downloadLink;
  });
  const token = () => link.split('/api/download/')[1] ?? '';
  const redeem = (t: string, bearer = client.token) =>
    api.request('GET', `/api/download/${t}`, { token: bearer, headers: { accept: 'application/json' } });

  it('the control: the right client succeeds', async () => {
    expect((await redeem(token())).status).toBe(200);
  });

  it('opened by a browser without credentials → 302 to the portal, the token in the fragment only', async () => {
    const res = await api.request('GET', `/api/download/${token()}`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`/#/download/${token()}`);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('without credentials → 401', async () => {
    const res = await api.request('GET', `/api/download/${token()}`);
    expectProblem(res, 401, 'unauthenticated');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('as another client → 403', async () => {
    const other = await clientUser(api);
    await api.request('PUT', `/api/files/${file.id}/sharing`, { token: ops.token, json: { allClients: true, clients: [client.username] } });
    expectProblem(await redeem(token(), other.token), 403, 'forbidden');
  });

  it('as ops → 403', async () => {
    expectProblem(await redeem(token(), ops.token), 403, 'forbidden');
  });

  it('after it expired → 410 link_expired', async () => {
    const old = await createLinkTokens({ secret: stack.secrets.linkSecret, ttlSeconds: 900 }).issue({
      fileId: file.id,
      clientId: client.id,
      now: new Date(Date.now() - 901_000),
    });
    expectProblem(await redeem(old.token), 410, 'link_expired');
  });

  it('an expired link of another client is still 403, not 410', async () => {
    const other = await clientUser(api);
    const old = await createLinkTokens({ secret: stack.secrets.linkSecret, ttlSeconds: 900 }).issue({
      fileId: file.id,
      clientId: client.id,
      now: new Date(Date.now() - 901_000),
    });
    expectProblem(await redeem(old.token, other.token), 403, 'forbidden');
  });

  it.each([
    [
      'tampered (one ciphertext character changed)',
      (t: string) => {
        const p = t.split('.');
        const c = p[3] ?? '';
        p[3] = (c[0] === 'A' ? 'B' : 'A') + c.slice(1);
        return p.join('.');
      },
    ],
    [
      'tampered (header changed)',
      (t: string) =>
        [Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A128GCM', typ: 'dl+jwt' })).toString('base64url'), ...t.split('.').slice(1)].join(
          '.',
        ),
    ],
    ['truncated', (t: string) => t.slice(0, -10)],
    ['garbage', () => 'not-a-token'],
    ['an access token in its place', () => client.token],
  ])('%s → 404', async (_label, mangle) => {
    expectProblem(await redeem(mangle(token())), 404, 'not_found');
  });

  it('a well-encrypted token of another kind (typ) under the real link key → 404', async () => {
    const forged = await new EncryptJWT({ fid: file.id })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', typ: 'at+jwt' })
      .setSubject(client.id)
      .setIssuer('secure-file-share/download-link')
      .setIssuedAt()
      .setExpirationTime('10m')
      .setJti(crypto.randomUUID())
      .encrypt(await deriveLinkKey(stack.secrets.linkSecret));
    expectProblem(await redeem(forged), 404, 'not_found');
  });

  it('a link token presented as an access token → 401', async () => {
    expectProblem(await api.request('GET', '/api/me', { token: token() }), 401, 'unauthenticated');
  });

  it('made with another key → 404', async () => {
    const foreign = await createLinkTokens({ secret: 'another-link-secret-another-link-secret-0123', ttlSeconds: 900 }).issue({
      fileId: file.id,
      clientId: client.id,
      now: new Date(),
    });
    expectProblem(await redeem(foreign.token), 404, 'not_found');
  });

  it('after the sharing with that client was revoked → 404, and again once restored → 200', async () => {
    const c = await clientUser(api);
    const f = await sharedFile(c);
    const l = (await issueLink(c.token, f.id)).downloadLink.split('/api/download/')[1] ?? '';
    await api.request('PUT', `/api/files/${f.id}/sharing`, { token: ops.token, json: { allClients: false, clients: [] } });
    expectProblem(await redeem(l, c.token), 404, 'not_found');
    await api.request('PUT', `/api/files/${f.id}/sharing`, { token: ops.token, json: { allClients: false, clients: [c.username] } });
    expect((await redeem(l, c.token)).status).toBe(200);
  });

  it('after the file was deleted → 404', async () => {
    const c = await clientUser(api);
    const f = await sharedFile(c);
    const l = (await issueLink(c.token, f.id)).downloadLink.split('/api/download/')[1] ?? '';
    expect((await api.request('DELETE', `/api/files/${f.id}`, { token: ops.token })).status).toBe(204);
    expectProblem(await redeem(l, c.token), 404, 'not_found');
  });
});

describe('POST /api/files/{id}/download-link', () => {
  it('refuses anonymous (401), ops (403), a client the file is not shared with (404), an unknown file (404)', async () => {
    const owner = await clientUser(api);
    const stranger = await clientUser(api);
    const { id } = await sharedFile(owner);
    expectProblem(await api.request('POST', `/api/files/${id}/download-link`), 401, 'unauthenticated');
    expectProblem(await api.request('POST', `/api/files/${id}/download-link`, { token: ops.token }), 403, 'forbidden');
    expectProblem(await api.request('POST', `/api/files/${id}/download-link`, { token: stranger.token }), 404, 'not_found');
    expectProblem(await api.request('POST', `/api/files/${crypto.randomUUID()}/download-link`, { token: owner.token }), 404, 'not_found');
  });

  it('builds the link from the configured public URL, not from the Host header', async () => {
    const client = await clientUser(api);
    const { id } = await sharedFile(client);
    const res = await api.request<{ downloadLink: string }>('POST', `/api/files/${id}/download-link`, {
      token: client.token,
      headers: { 'x-forwarded-host': 'evil.example', host: 'evil.example' },
    });
    expect(res.body.downloadLink.startsWith(stack.config.publicUrl)).toBe(true);
  });
});

describe('GET /api/files/{id}/downloads (the audit)', () => {
  it('records exactly the completed redemptions, newest first, for ops only', async () => {
    const client = await clientUser(api);
    const other = await clientUser(api);
    const { id } = await sharedFile(client);
    const a = (await issueLink(client.token, id)).downloadLink;
    const b = (await issueLink(client.token, id)).downloadLink;
    expect((await follow(a, client.token)).status).toBe(302);
    expect((await follow(b, client.token, 'application/json')).status).toBe(200);
    expect((await follow(a, client.token)).status).toBe(302);
    expect((await follow(a, other.token)).status).toBe(403); // refused: not a download
    expect((await follow(a)).status).toBe(401);

    const audit = await api.request<{ items: Array<{ user: { id: string; username: string }; at: string }> }>(
      'GET',
      `/api/files/${id}/downloads`,
      { token: ops.token },
    );
    expect(audit.status).toBe(200);
    expect(audit.body.items).toHaveLength(3);
    expect(audit.body.items.every((d) => d.user.id === client.id && d.user.username === client.username)).toBe(true);
    const times = audit.body.items.map((d) => Date.parse(d.at));
    expect([...times].sort((x, y) => y - x)).toEqual(times);

    expectProblem(await api.request('GET', `/api/files/${id}/downloads`, { token: client.token }), 403, 'forbidden');
    expectProblem(await api.request('GET', `/api/files/${crypto.randomUUID()}/downloads`, { token: ops.token }), 404, 'not_found');
  });

  it('records no refused redemption (expired, revoked), and outlives the file', async () => {
    const client = await clientUser(api);
    const { id } = await sharedFile(client);
    const old = await createLinkTokens({ secret: stack.secrets.linkSecret, ttlSeconds: 900 }).issue({
      fileId: id,
      clientId: client.id,
      now: new Date(Date.now() - 901_000),
    });
    expect((await follow(`${stack.config.publicUrl}/api/download/${old.token}`, client.token)).status).toBe(410);
    const link = (await issueLink(client.token, id)).downloadLink;
    await api.request('PUT', `/api/files/${id}/sharing`, { token: ops.token, json: { allClients: false, clients: [] } });
    expect((await follow(link, client.token)).status).toBe(404);
    const audit = () => api.request<{ items: unknown[] }>('GET', `/api/files/${id}/downloads`, { token: ops.token });
    expect((await audit()).body.items).toHaveLength(0);

    await api.request('PUT', `/api/files/${id}/sharing`, { token: ops.token, json: { allClients: false, clients: [client.username] } });
    expect((await follow(link, client.token)).status).toBe(302);
    expect((await api.request('DELETE', `/api/files/${id}`, { token: ops.token })).status).toBe(204);
    const after = await audit();
    expect(after.status).toBe(200);
    expect(after.body.items).toEqual([{ user: { id: client.id, username: client.username }, at: expect.any(String) }]);
  });
});
