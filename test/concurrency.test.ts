import { describe, expect, it } from 'vitest';
import { makeDocx } from '../scripts/lib/samples';
import type { ApiClient } from './helpers/api';
import { clientUser, opsUser, uploadFile } from './helpers/files';
import { type ApiStack, startApiStack, uniqueName, useStack } from './helpers/stack';

/** Many requests at once, on whichever runtime serves: the database settles every race. */
let stack: ApiStack;
let api: ApiClient;

useStack(
  () => startApiStack(),
  (s, a) => {
    stack = s;
    api = a;
  },
);

// Hundreds of requests at once on a 2-core machine that also runs the other suites: a few seconds
// alone, but the suite's 30 s was reached when everything ran together. A hang still fails.
describe('concurrency', { timeout: 120_000 }, () => {
  it('50 parallel sign-ups for one username: exactly one 201, forty-nine 409', async () => {
    const name = uniqueName('crowd');
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api.request('POST', '/api/auth/signup', {
          json: { username: name, email: `${name}-${i}@example.com`, password: 'correct horse battery' },
        }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const rows = await stack.sql.execute({ sql: 'select count(*) as n from users where username = ?', args: [name] });
    expect(rows.rows[0]?.n).toBe(1);
  });

  it('200 concurrent redemptions by one client all succeed, and the audit holds exactly 200 rows', async () => {
    const ops = await opsUser(stack, api);
    const client = await clientUser(api);
    const { id } = await uploadFile(api, ops.token, 'popular.docx', await makeDocx());
    await api.request('PUT', `/api/files/${id}/sharing`, { token: ops.token, json: { allClients: false, clients: [client.username] } });
    const link = await api.request<{ downloadLink: string }>('POST', `/api/files/${id}/download-link`, { token: client.token });
    // A client that is told 503 (the database was too busy: "nothing was changed", Retry-After)
    // tries again, as the contract says it may. Retried or not, each redemption that succeeds
    // must leave exactly one audit row, and a 503 none: the count below would show either slip.
    let retried = 0;
    const statuses = await Promise.all(
      Array.from({ length: 200 }, async () => {
        for (let attempt = 1; ; attempt++) {
          const res = await fetch(link.body.downloadLink, {
            headers: { authorization: `Bearer ${client.token}`, accept: 'application/json' },
          });
          await res.body?.cancel();
          if (res.status !== 503 || attempt === 5) return res.status;
          retried++;
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        }
      }),
    );
    // Listed, not counted, so a failure says what the others were answered.
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(retried).toBeLessThan(50);
    const audit = await api.request<{ items: unknown[] }>('GET', `/api/files/${id}/downloads`, { token: ops.token });
    expect(audit.body.items).toHaveLength(200);
  });

  it('50 concurrent redemptions against a limit of 3: exactly 3 presigned URLs, 47 refusals, 3 audit rows', async () => {
    const ops = await opsUser(stack, api);
    const client = await clientUser(api);
    const { id } = await uploadFile(api, ops.token, 'scarce.docx', await makeDocx());
    const shared = await api.request('PUT', `/api/files/${id}/sharing`, {
      token: ops.token,
      json: { allClients: false, clients: [{ username: client.username, maxDownloads: 3 }] },
    });
    expect(shared.status).toBe(200);
    const link = await api.request<{ downloadLink: string }>('POST', `/api/files/${id}/download-link`, { token: client.token });
    const answers = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const res = await fetch(link.body.downloadLink, {
          headers: { authorization: `Bearer ${client.token}`, accept: 'application/json' },
        });
        return { status: res.status, body: (await res.json()) as { url?: string; code?: string } };
      }),
    );
    const granted = answers.filter((a) => a.status === 200);
    expect(granted).toHaveLength(3);
    expect(granted.every((a) => typeof a.body.url === 'string' && a.body.url.startsWith(stack.storageUrl))).toBe(true);
    const refused = answers.filter((a) => a.status === 410);
    expect(refused).toHaveLength(47);
    expect(refused.every((a) => a.body.code === 'download_limit_reached')).toBe(true);
    const audit = await api.request<{ items: unknown[] }>('GET', `/api/files/${id}/downloads`, { token: ops.token });
    expect(audit.body.items).toHaveLength(3);
  });

  it('concurrent replacements of a grant set leave exactly one of the submitted sets, never a mix', async () => {
    const ops = await opsUser(stack, api);
    const clients = await Promise.all(Array.from({ length: 6 }, () => clientUser(api)));
    const { id } = await uploadFile(api, ops.token, 'contested.docx', await makeDocx());
    const sets = [
      { allClients: false, clients: clients.slice(0, 3).map((c) => c.username) },
      { allClients: true, clients: clients.slice(3).map((c) => c.username) },
      { allClients: false, clients: [clients[0]?.username ?? '', clients[5]?.username ?? ''] },
      { allClients: true, clients: [] },
    ];
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(sets.map((json) => api.request('PUT', `/api/files/${id}/sharing`, { token: ops.token, json })));
      expect(results.every((r) => r.status === 200)).toBe(true);
      const now = await api.request<{ allClients: unknown; clients: Array<{ username: string }> }>('GET', `/api/files/${id}/sharing`, {
        token: ops.token,
      });
      const state = { allClients: now.body.allClients !== false, clients: now.body.clients.map((c) => c.username).sort() };
      expect(sets.map((s) => ({ allClients: s.allClients, clients: [...s.clients].sort() }))).toContainEqual(state);
    }
  });
});
