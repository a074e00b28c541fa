import { describe, expect, it } from 'vitest';
import { type ApiClient, expectProblem } from './helpers/api';
import { type ApiStack, startApiStack, useStack } from './helpers/stack';

let stack: ApiStack;
let api: ApiClient;

useStack(
  () => startApiStack(),
  (s, a) => {
    stack = s;
    api = a;
  },
);

describe('GET /api/openapi.json', () => {
  it('is an OpenAPI 3.1 document generated from the route schemas', async () => {
    const res = await api.request<{ openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }>(
      'GET',
      '/api/openapi.json',
    );
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\.1\./);
    for (const path of ['/api/auth/signup', '/api/auth/login', '/api/auth/logout', '/api/me', '/api/health']) {
      expect(Object.keys(res.body.paths)).toContain(path);
    }
    expect(JSON.stringify(res.body.paths['/api/auth/signup'])).toContain('#/components/schemas/SignupRequest');
    expect(res.body.components.schemas.SignupRequest).toMatchObject({
      type: 'object',
      required: ['username', 'email', 'password'],
      additionalProperties: false,
    });
  });

  it('every route that is not public refuses a caller without credentials (deny by default)', async () => {
    const PUBLIC = [
      'POST /api/auth/signup',
      'POST /api/auth/login',
      'POST /api/auth/refresh',
      'POST /api/auth/verify-email',
      'POST /api/auth/forgot-password',
      'POST /api/auth/reset-password',
      'POST /api/invitations/inspect',
      'GET /api/health',
      'GET /api/openapi.json',
      'GET /api/docs',
    ];
    const doc = (await api.request<{ paths: Record<string, Record<string, { security?: unknown[] }>> }>('GET', '/api/openapi.json')).body;
    let checked = 0;
    const documentedPublic: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const route = `${method.toUpperCase()} ${path}`;
        if (Array.isArray(operation.security) && operation.security.length === 0) documentedPublic.push(route);
        if (PUBLIC.includes(route)) continue;
        const concrete = path.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000');
        const res = await api.request(method.toUpperCase(), concrete, method === 'get' ? {} : { json: {} });
        expectProblem(res, 401, 'unauthenticated');
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(2);
    expect(documentedPublic.sort()).toEqual([...PUBLIC].sort());
  });
});

describe('the web portal', () => {
  it('is served by this deployment under a strict policy, its scripts from this origin', async () => {
    const page = await fetch(`${stack.apiUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    const html = await page.text();
    const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(html).not.toMatch(/<script>(?!<\/script>)/); // no inline script
    const js = await fetch(`${stack.apiUrl}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expectProblem(await api.request('GET', '/etc/passwd'), 404, 'not_found');
    expectProblem(await api.request('GET', '/assets/../../package.json'), 404, 'not_found');
    // Static assets the service uses itself (the common-password list) are not served to anyone.
    expectProblem(await api.request('GET', '/data/common-passwords.txt'), 404, 'not_found');
  });
});

describe('GET /api/docs', () => {
  it('serves the interactive reference with its script from this server, not a CDN', async () => {
    const res = await api.request('GET', '/api/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toContain('/api/openapi.json');
    expect(res.text).toContain('src="/api/docs/scalar.js"');
    expect(res.text).not.toMatch(/cdn\.|jsdelivr|unpkg/);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const script = await fetch(`${stack.apiUrl}/api/docs/scalar.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect((await script.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
  });
});
