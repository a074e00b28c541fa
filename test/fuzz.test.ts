import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from './helpers/api';
import { clientUser, opsUser } from './helpers/files';
import { type ApiStack, startApiStack, useStack } from './helpers/stack';

/**
 * Property: whatever arrives (wrong types, missing and extra fields, huge strings, Unicode edge
 * cases, ids that are not ids, bad cursors, wrong methods and content types, oversized bodies),
 * every route of the OpenAPI document answers below 500; every 4xx is problem+json with a stable
 * snake_case code; and a refused request changes no row. Fixed seeds: failures reproduce.
 */
let stack: ApiStack;
let api: ApiClient;
let routes: Array<{ method: string; path: string }>;
let tokens: Record<'none' | 'ops' | 'client' | 'garbage', string | undefined>;

useStack(
  () => startApiStack(),
  (s, a) => {
    stack = s;
    api = a;
  },
);
beforeAll(async () => {
  const doc = await api.request<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/openapi.json');
  routes = Object.entries(doc.body.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })),
  );
  const ops = await opsUser(stack, api);
  const client = await clientUser(api);
  tokens = { none: undefined, ops: ops.token, client: client.token, garbage: 'eyJhbGciOiJub25lIn0.e30.' };
});

const wellFormed = (s: string) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

const counts = async () => {
  const rows = await stack.sql.execute(
    'select (select count(*) from users) as users, (select count(*) from files) as files, (select count(*) from file_grants) as grants, (select count(*) from downloads) as downloads',
  );
  return JSON.stringify(rows.rows[0]);
};

const unicodeEdge = fc.constantFrom(
  '\u0000',
  '\ud800',
  '\u202e',
  '😀'.repeat(40),
  'é\u0301',
  '\uffff',
  '%00',
  '../..',
  'a'.repeat(5000),
  ' ',
  '',
);
const weirdString = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 40 }), unicodeEdge);
const jsonValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  weirdString,
  fc.array(weirdString, { maxLength: 5 }),
  fc.dictionary(weirdString, weirdString, { maxKeys: 5 }),
);
/** A body shaped like the real ones, with each field possibly of the wrong type, missing, or joined by extras. */
const fieldNames = [
  'username',
  'email',
  'password',
  'filename',
  'contentType',
  'size',
  'allClients',
  'clients',
  'role',
  'storageKey',
  '__proto__',
  'constructor',
];
const body = fc.oneof(
  fc.dictionary(fc.constantFrom(...fieldNames), jsonValue, { maxKeys: 6 }),
  jsonValue,
  fc.record({
    filename: fc.constantFrom('x.docx', 'y.pptx', 'z.xlsx'),
    contentType: weirdString,
    size: fc.oneof(fc.integer(), fc.double(), weirdString),
  }),
);
const pathValue = fc.oneof(fc.uuid(), weirdString, fc.constant('00000000-0000-0000-0000-000000000000'));
const request = fc.record({
  route: fc.integer({ min: 0, max: 1000 }),
  method: fc.oneof(fc.constant(undefined), fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH')),
  pathValue,
  query: fc.dictionary(fc.constantFrom('limit', 'cursor', 'query', 'x'), weirdString, { maxKeys: 3 }),
  contentType: fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/problem+json',
    undefined,
  ),
  body: fc.oneof(
    body.map((b) => JSON.stringify(b)),
    weirdString,
    fc.constant('{"unclosed": '),
    fc.constant('x'.repeat(70_000)),
  ),
  auth: fc.constantFrom<'none' | 'ops' | 'client' | 'garbage'>('none', 'ops', 'client', 'garbage'),
});

describe('every route, fed generated bad input', () => {
  it('never answers 5xx, always explains a 4xx in problem+json, and writes nothing when it refuses', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const route = routes[r.route % routes.length];
        if (!route) return;
        const method = r.method ?? route.method;
        // A URL cannot carry half of a UTF-16 pair; any client would send U+FFFD instead.
        const path = route.path.replace(/\{\w+\}/g, () => encodeURIComponent(wellFormed(r.pathValue)));
        const query = new URLSearchParams(Object.entries(r.query).map(([k, v]) => [k, wellFormed(v)])).toString();
        const before = await counts();
        const res = await fetch(`${stack.apiUrl}${path}${query ? `?${query}` : ''}`, {
          method,
          headers: {
            ...(r.contentType ? { 'content-type': r.contentType } : {}),
            ...(tokens[r.auth] ? { authorization: `Bearer ${tokens[r.auth]}` } : {}),
            'x-forwarded-for': `10.9.${r.route % 250}.${r.pathValue.length % 250}`,
            accept: 'application/json',
          },
          body: method === 'GET' || method === 'HEAD' ? undefined : r.body,
          redirect: 'manual',
        });
        const text = await res.text();
        seen.add(res.status);
        expect(res.status, `${method} ${path} → ${res.status} ${text.slice(0, 200)}`).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          expect(JSON.parse(text)).toMatchObject({ status: res.status, code: expect.stringMatching(/^[a-z]+(_[a-z]+)*$/) });
          expect(await counts(), `${method} ${path} refused with ${res.status} but changed rows`).toBe(before);
        }
      }),
      { seed: 20261124, numRuns: 400, endOnFailure: true },
    );
    // The generator reaches every kind of refusal, not just the first check of each route.
    for (const status of [400, 401, 403, 404, 405, 413, 415]) expect(seen, `never saw ${status}`).toContain(status);
  });
});
