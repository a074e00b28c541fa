import { beforeAll, describe, expect, it } from 'vitest';
import { makeAllSamples, makeDocx, makePptx, makeXlsx } from '../scripts/lib/samples';
import { type ApiClient, type ApiResponse, expectProblem } from './helpers/api';
import { clientUser, opsUser, putBytes, startUpload, storageAdmin, storageKeyOf, uploadFile } from './helpers/files';
import { type ApiStack, startApiStack, useStack } from './helpers/stack';

let stack: ApiStack;
let api: ApiClient;
let ops: Awaited<ReturnType<typeof opsUser>>;
let samples: Record<string, Uint8Array>;

useStack(
  () => startApiStack(),
  (s, a) => {
    stack = s;
    api = a;
  },
);
beforeAll(async () => {
  ops = await opsUser(stack, api);
  samples = await makeAllSamples();
});

const fileRow = async (id: string) =>
  (await stack.sql.execute({ sql: 'select status, rejection_reason from files where id = ?', args: [id] })).rows[0];
const sample = (name: string) => {
  const bytes = samples[name];
  if (!bytes) throw new Error(`no sample ${name}`);
  return bytes;
};

describe('upload: presigned PUT straight to storage, then verification', () => {
  it.each([
    ['report.docx', makeDocx],
    ['slides.pptx', makePptx],
    ['figures.xlsx', makeXlsx],
  ])('takes a real %s from pending to ready, the bytes in storage exactly as sent', async (filename, make) => {
    const bytes = await make();
    const started = await startUpload(api, ops.token, filename, bytes);
    expect(started.status).toBe(201);
    expect(started.headers.get('cache-control')).toBe('no-store');
    const { file, upload } = started.body;
    expect(file).toMatchObject({
      filename,
      size: bytes.length,
      status: 'pending',
      sharedWithAllClients: false,
      uploadedBy: { id: ops.id, username: ops.username },
    });
    expect(upload.method).toBe('PUT');
    expect(upload.headers).toEqual({ 'content-type': expect.stringContaining('openxmlformats'), 'content-length': String(bytes.length) });
    const url = new URL(upload.url);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toContain('content-length');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toContain('content-type');
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(900);
    expect(url.pathname).not.toContain(filename.split('.')[0]);

    // Not yet uploaded: completion refuses and changes nothing.
    expectProblem(await api.request('POST', `/api/files/${file.id}/complete`, { token: ops.token }), 409, 'upload_missing');
    expect((await fileRow(file.id))?.status).toBe('pending');

    expect((await putBytes(upload, bytes)).status).toBe(200);
    const done = await api.request<{ file: { status: string; readyAt: string } }>('POST', `/api/files/${file.id}/complete`, {
      token: ops.token,
    });
    expect(done.status).toBe(200);
    expect(done.body.file).toMatchObject({ id: file.id, status: 'ready', readyAt: expect.any(String) });
    expect(await storageAdmin(stack).get(await storageKeyOf(stack, file.id))).toEqual(bytes);

    expectProblem(await api.request('POST', `/api/files/${file.id}/complete`, { token: ops.token }), 409, 'already_completed');
  });

  it('serves the verified bytes even if something else is PUT to the upload URL after completion', async () => {
    const bytes = await makeDocx('the verified one');
    const { body } = await startUpload(api, ops.token, 'frozen.docx', bytes);
    expect((await putBytes(body.upload, bytes)).status).toBe(200);
    expect((await api.request('POST', `/api/files/${body.file.id}/complete`, { token: ops.token })).status).toBe(200);
    // The URL is still valid for minutes: someone PUTs other bytes of the same length to it.
    const swapped = crypto.getRandomValues(new Uint8Array(bytes.length));
    expect((await putBytes(body.upload, swapped)).status).toBe(200);
    const served = await storageAdmin(stack).get(await storageKeyOf(stack, body.file.id));
    expect(served).toEqual(bytes);
    expect(new URL(body.upload.url).pathname).not.toContain(await storageKeyOf(stack, body.file.id));
  });

  it('storage refuses a PUT of another size or another type than was signed, and one without a signature', async () => {
    const bytes = await makeDocx();
    const { body } = await startUpload(api, ops.token, 'sized.docx', bytes);
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect((await putBytes(body.upload, longer)).status).toBe(403);
    expect((await putBytes(body.upload, bytes.slice(0, -1))).status).toBe(403);
    expect((await putBytes(body.upload, bytes, { 'content-type': 'application/pdf' })).status).toBe(403);
    const tampered = new URL(body.upload.url);
    tampered.searchParams.set('X-Amz-Signature', '0'.repeat(64));
    expect(
      (
        await fetch(tampered, {
          method: 'PUT',
          headers: { 'content-type': body.upload.headers['content-type'] ?? '' },
          body: new Blob([bytes as Uint8Array<ArrayBuffer>]),
        })
      ).status,
    ).toBe(403);
    // None of them stored anything.
    expectProblem(await api.request('POST', `/api/files/${body.file.id}/complete`, { token: ops.token }), 409, 'upload_missing');
  });

  it.each([
    ['macro-renamed.docx', /contains macros/],
    ['pdf-renamed.docx', /not a ZIP container/],
    ['xlsx-declared-as.docx', /Excel workbook, not a Word document/],
    ['zip-bomb.docx', /ZIP bomb/],
    ['encrypted.docx', /encrypted or legacy/],
    ['random-bytes.docx', /not a ZIP container/],
  ])('rejects %s with 422, deletes the object and marks the file rejected', async (name, reason) => {
    const { id, complete } = await uploadFile(api, ops.token, name, sample(name));
    expectProblem(complete, 422, 'invalid_file_content');
    expect((complete.body as { detail: string }).detail).toMatch(reason);
    expect(await storageAdmin(stack).exists(await storageKeyOf(stack, id))).toBe(false);
    const shown = await api.request<{ file: { status: string; rejectionReason: string } }>('GET', `/api/files/${id}`, { token: ops.token });
    expect(shown.body.file.status).toBe('rejected');
    expect(shown.body.file.rejectionReason).toMatch(reason);
    expectProblem(await api.request('POST', `/api/files/${id}/complete`, { token: ops.token }), 409, 'already_completed');
  });

  it('rejects an object whose size differs from the declared size (checked on what storage holds)', async () => {
    const bytes = await makeDocx();
    const { body } = await startUpload(api, ops.token, 'swapped.docx', bytes);
    const key = await storageKeyOf(stack, body.file.id);
    await storageAdmin(stack).put(key, new Uint8Array([...bytes, 0, 0, 0])); // written around the presigned URL
    const res = await api.request('POST', `/api/files/${body.file.id}/complete`, { token: ops.token });
    expectProblem(res, 422, 'invalid_file_content');
    expect((res.body as { detail: string }).detail).toMatch(/not the declared/);
    expect(await storageAdmin(stack).exists(key)).toBe(false);
  });
});

describe('POST /api/files refuses bad declarations before issuing any URL', () => {
  const docx = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
  const count = async () => Number((await stack.sql.execute('select count(*) as n from files')).rows[0]?.n);
  it.each([
    ['a .pdf name', { filename: 'report.pdf', contentType: 'application/pdf', size: 10 }, 415, 'unsupported_file_type'],
    [
      'a .docm name',
      { filename: 'report.docm', contentType: 'application/vnd.ms-word.document.macroEnabled.12', size: 10 },
      415,
      'unsupported_file_type',
    ],
    ['no extension', { filename: 'report', contentType: docx, size: 10 }, 415, 'unsupported_file_type'],
    [
      'a content type that does not go with the extension',
      { filename: 'report.docx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', size: 10 },
      415,
      'unsupported_file_type',
    ],
    ['a size over the maximum', { filename: 'big.docx', contentType: docx, size: 100 * 1024 * 1024 + 1 }, 413, 'file_too_large'],
    ['a size of zero (an empty file)', { filename: 'empty.docx', contentType: docx, size: 0 }, 400, 'validation_failed'],
    ['a fractional size', { filename: 'x.docx', contentType: docx, size: 1.5 }, 400, 'validation_failed'],
    ['a path in the name', { filename: '../../etc/passwd.docx', contentType: docx, size: 10 }, 400, 'validation_failed'],
    ['a backslash in the name', { filename: 'a\\b.docx', contentType: docx, size: 10 }, 400, 'validation_failed'],
    ['a control character in the name', { filename: 'a\r\nSet-Cookie: x.docx', contentType: docx, size: 10 }, 400, 'validation_failed'],
    [
      'a direction override disguising the extension',
      { filename: 'invoice\u202excod.exe.docx', contentType: docx, size: 10 },
      400,
      'validation_failed',
    ],
    ['a name over 255 characters', { filename: `${'a'.repeat(260)}.docx`, contentType: docx, size: 10 }, 400, 'validation_failed'],
    ['an unknown field', { filename: 'x.docx', contentType: docx, size: 10, storageKey: 'mine' }, 400, 'validation_failed'],
    ['half of a UTF-16 pair in the name', { filename: 'bad\ud800name.docx', contentType: docx, size: 10 }, 400, 'validation_failed'],
  ])('%s → %i %s, nothing recorded', async (_label, json, status, code) => {
    const before = await count();
    expectProblem(await api.request('POST', '/api/files', { token: ops.token, json }), status, code);
    expect(await count()).toBe(before);
  });

  it('accepts a Unicode name and keeps it for display only', async () => {
    const bytes = await makeDocx();
    const res = await startUpload(api, ops.token, 'Präsentation – Q3 "final"; 😀.docx', bytes);
    expect(res.status).toBe(201);
    expect(res.body.file.filename).toBe('Präsentation – Q3 "final"; 😀.docx');
    expect(await storageKeyOf(stack, res.body.file.id)).toMatch(/^files\/[0-9a-f-]{36}$/);
  });
});

describe('roles', () => {
  it('refuses every ops route to a client (403) and to an anonymous caller (401)', async () => {
    const client = await clientUser(api);
    const { id } = await uploadFile(api, ops.token, 'roles.docx', await makeDocx());
    const routes: Array<[string, string, unknown?]> = [
      ['POST', '/api/files', { filename: 'x.docx', contentType: 'x', size: 1 }],
      ['POST', `/api/files/${id}/complete`],
      ['DELETE', `/api/files/${id}`],
      ['PUT', `/api/files/${id}/sharing`, { allClients: true, clients: [] }],
      ['GET', `/api/files/${id}/sharing`],
    ];
    for (const [method, path, json] of routes) {
      expectProblem(await api.request(method, path, { token: client.token, ...(json ? { json } : {}) }), 403, 'forbidden');
      expectProblem(await api.request(method, path, json ? { json } : {}), 401, 'unauthenticated');
    }
    expect((await fileRow(id))?.status).toBe('ready');
  });
});

describe('listing and visibility', () => {
  it('paginates over several pages with no duplicates or gaps while files are added', async () => {
    const mine = await opsUser(stack, api);
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await uploadFile(api, mine.token, `page-${i}.docx`, await makeDocx(`page ${i}`))).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : '?limit=3';
      const res = await api.request<{ items: Array<{ id: string; uploadedBy: { id: string } }>; nextCursor: string | null }>(
        'GET',
        `/api/files${query}`,
        { token: mine.token },
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.items.map((f) => f.id));
      cursor = res.body.nextCursor;
      // Files added mid-listing are newer than the cursor: they never shift later pages.
      if (pages++ === 0) await uploadFile(api, mine.token, 'added-later.docx', await makeDocx('later'));
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const ours = seen.filter((id) => created.includes(id));
    expect(ours).toEqual([...created].reverse());
  });

  it("pages through a client's files from both branches (shared with all, granted) in one order", async () => {
    const reader = await clientUser(api);
    const expected: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { id } = await uploadFile(api, ops.token, `mixed-${i}.docx`, await makeDocx(`mixed ${i}`));
      const json = i % 2 === 0 ? { allClients: false, clients: [reader.username] } : { allClients: true, clients: [] };
      await api.request('PUT', `/api/files/${id}/sharing`, { token: ops.token, json });
      expected.unshift(id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse<{ items: Array<{ id: string }>; nextCursor: string | null }> = await api.request(
        'GET',
        `/api/files?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: reader.token },
      );
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((f) => f.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    // Files shared with all clients by other tests may interleave; ours come in order, once each.
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => expected.includes(id))).toEqual(expected);
  });

  it.each([['limit=0'], ['limit=101'], ['limit=abc'], ['cursor=not-a-cursor'], [`cursor=${Buffer.from('[1,2,3]').toString('base64url')}`]])(
    'refuses ?%s with 400',
    async (query) => {
      expectProblem(await api.request('GET', `/api/files?${query}`, { token: ops.token }), 400, 'validation_failed');
    },
  );

  it('shows a client only ready files shared with it, directly or with all clients', async () => {
    const alice = await clientUser(api);
    const bob = await clientUser(api);
    const direct = (await uploadFile(api, ops.token, 'direct.docx', await makeDocx())).id;
    const everyone = (await uploadFile(api, ops.token, 'everyone.xlsx', await makeXlsx())).id;
    const hidden = (await uploadFile(api, ops.token, 'hidden.pptx', await makePptx())).id;
    const pending = (await startUpload(api, ops.token, 'pending.docx', await makeDocx())).body.file.id;
    const rejected = (await uploadFile(api, ops.token, 'rejected.docx', sample('pdf-renamed.docx'))).id;
    const share = (id: string, json: unknown) => api.request('PUT', `/api/files/${id}/sharing`, { token: ops.token, json });
    expect((await share(direct, { allClients: false, clients: [alice.username] })).status).toBe(200);
    expect((await share(everyone, { allClients: true, clients: [] })).status).toBe(200);
    expect((await share(pending, { allClients: true, clients: [alice.username] })).status).toBe(200);
    expect((await share(rejected, { allClients: true, clients: [alice.username] })).status).toBe(200);

    const listed = async (token: string) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const res: ApiResponse<{ items: Array<{ id: string; status: string }>; nextCursor: string | null }> = await api.request(
          'GET',
          `/api/files?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
          { token },
        );
        expect(res.body.items.every((f) => f.status === 'ready')).toBe(true);
        ids.push(...res.body.items.map((f) => f.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      return ids;
    };
    const aliceSees = await listed(alice.token);
    expect(aliceSees).toContain(direct);
    expect(aliceSees).toContain(everyone);
    for (const id of [hidden, pending, rejected]) expect(aliceSees).not.toContain(id);
    const bobSees = await listed(bob.token);
    expect(bobSees).toContain(everyone);
    for (const id of [direct, hidden, pending, rejected]) expect(bobSees).not.toContain(id);

    expect((await api.request('GET', `/api/files/${direct}`, { token: alice.token })).status).toBe(200);
    for (const id of [hidden, pending, rejected, crypto.randomUUID()]) {
      expectProblem(await api.request('GET', `/api/files/${id}`, { token: alice.token }), 404, 'not_found');
    }
    expectProblem(await api.request('GET', `/api/files/${direct}`, { token: bob.token }), 404, 'not_found');
    expectProblem(await api.request('GET', '/api/files/not-an-id', { token: alice.token }), 404, 'not_found');
    expectProblem(await api.request('GET', '/api/files/not-an-id', { token: ops.token }), 404, 'not_found');
  });
});

describe('sharing', () => {
  it('replaces the whole grant set, and refuses unknown or ops usernames without changing anything', async () => {
    const a = await clientUser(api);
    const b = await clientUser(api);
    const { id } = await uploadFile(api, ops.token, 'shared.docx', await makeDocx());
    const put = (json: unknown) =>
      api.request<{ allClients: unknown; clients: Array<{ id: string; username: string }> }>('PUT', `/api/files/${id}/sharing`, {
        token: ops.token,
        json,
      });
    const noTerms = { expiresAt: null, maxDownloads: null };

    // The shape every caller used before groups and terms: usernames, and a boolean.
    const first = await put({ allClients: false, clients: [a.username, b.username.toUpperCase(), a.username] });
    expect(first.status).toBe(200);
    expect(first.body.allClients).toBe(false);
    expect(first.body.clients).toHaveLength(2);
    expect(first.body.clients).toEqual(
      expect.arrayContaining([
        { id: a.id, username: a.username, ...noTerms },
        { id: b.id, username: b.username, ...noTerms },
      ]),
    );

    const refused = await put({ allClients: true, clients: [b.username, 'nobody-by-this-name', ops.username] });
    expectProblem(refused, 400, 'validation_failed');
    expect((refused.body as unknown as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual(['clients.1', 'clients.2']);
    const unchanged = await api.request('GET', `/api/files/${id}/sharing`, { token: ops.token });
    expect(unchanged.body).toEqual(first.body);

    const second = await put({ allClients: false, clients: [b.username] });
    expect(second.body).toEqual({ allClients: false, clients: [{ id: b.id, username: b.username, ...noTerms }], groups: [] });
    expectProblem(await api.request('GET', `/api/files/${id}`, { token: a.token }), 404, 'not_found');
    expect((await api.request('GET', `/api/files/${id}`, { token: b.token })).status).toBe(200);

    expectProblem(
      await api.request('PUT', `/api/files/${crypto.randomUUID()}/sharing`, { token: ops.token, json: { allClients: true, clients: [] } }),
      404,
      'not_found',
    );
    expectProblem(await put({ allClients: 'yes', clients: [] }), 400, 'validation_failed');
  });

  it('answers the grant set in the same order from PUT and GET, whatever the punctuation', async () => {
    const prefix = `o${crypto.randomUUID().slice(0, 6)}`;
    const names = [`${prefix}a_b`, `${prefix}a-b`, `${prefix}a.b`, `${prefix}ab`];
    for (const name of names) await api.signup(name);
    const { id } = await uploadFile(api, ops.token, 'ordered.docx', await makeDocx());
    const put = await api.request<{ clients: Array<{ username: string }> }>('PUT', `/api/files/${id}/sharing`, {
      token: ops.token,
      json: { allClients: false, clients: names },
    });
    const get = await api.request<{ clients: Array<{ username: string }> }>('GET', `/api/files/${id}/sharing`, { token: ops.token });
    expect(put.body.clients.map((c) => c.username)).toEqual(get.body.clients.map((c) => c.username));
    expect(get.body.clients.map((c) => c.username)).toEqual([...names].sort());
  });
});

describe('GET /api/clients (suggestions for sharing)', () => {
  it('lists clients by username prefix, never ops, for ops only', async () => {
    const prefix = `s${crypto.randomUUID().slice(0, 6)}`;
    for (const suffix of ['ann', 'anna', 'bob']) await api.signup(`${prefix}${suffix}`);
    const res = await api.request<{ items: Array<{ username: string }> }>('GET', `/api/clients?query=${prefix}an`, { token: ops.token });
    expect(res.body.items.map((c) => c.username)).toEqual([`${prefix}ann`, `${prefix}anna`]);
    expect((await api.request<{ items: unknown[] }>('GET', `/api/clients?query=${ops.username}`, { token: ops.token })).body.items).toEqual(
      [],
    );
    expectProblem(await api.request('GET', '/api/clients?query=%25', { token: ops.token }), 400, 'validation_failed');
    const client = await clientUser(api);
    expectProblem(await api.request('GET', `/api/clients?query=${prefix}`, { token: client.token }), 403, 'forbidden');
  });
});

describe('DELETE /api/files/{id}', () => {
  it('removes the row, its grants and the object', async () => {
    const client = await clientUser(api);
    const { id } = await uploadFile(api, ops.token, 'doomed.docx', await makeDocx());
    await api.request('PUT', `/api/files/${id}/sharing`, { token: ops.token, json: { allClients: false, clients: [client.username] } });
    const key = await storageKeyOf(stack, id);
    expect((await api.request('DELETE', `/api/files/${id}`, { token: ops.token })).status).toBe(204);
    expect(await storageAdmin(stack).exists(key)).toBe(false);
    expect((await stack.sql.execute({ sql: 'select count(*) as n from file_grants where file_id = ?', args: [id] })).rows[0]?.n).toBe(0);
    expectProblem(await api.request('GET', `/api/files/${id}`, { token: ops.token }), 404, 'not_found');
    expectProblem(await api.request('GET', `/api/files/${id}`, { token: client.token }), 404, 'not_found');
    expectProblem(await api.request('DELETE', `/api/files/${id}`, { token: ops.token }), 404, 'not_found');
  });
});
