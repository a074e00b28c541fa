import { describe, expect, it } from 'vitest';
import { type ApiClient, expectProblem } from './helpers/api';
import { type ApiStack, startApiStack, uniqueName, useStack } from './helpers/stack';

let stack: ApiStack;
let api: ApiClient;

useStack(
  () => startApiStack(),
  (s, a) => {
    stack = s;
    api = a;
  },
);

const userCount = async () => Number((await stack.sql.execute('select count(*) as n from users')).rows[0]?.n);

describe('the error model: problem+json, stable codes, nothing written', () => {
  it('malformed JSON → 400 malformed_json', async () => {
    const before = await userCount();
    const res = await api.request('POST', '/api/auth/signup', {
      body: '{"username": "x",',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(res, 400, 'malformed_json');
    expect(await userCount()).toBe(before);
  });

  it.each([
    ['text/plain', 'username=x'],
    ['application/x-www-form-urlencoded', 'username=x&password=y'],
    ['multipart/form-data; boundary=x', '--x--'],
  ])('a %s body → 415 unsupported_media_type', async (contentType, body) => {
    const res = await api.request('POST', '/api/auth/signup', { body, headers: { 'content-type': contentType } });
    expectProblem(res, 415, 'unsupported_media_type');
  });

  it('no content type at all → 415', async () => {
    const res = await api.request('POST', '/api/auth/login', { body: new Blob(['{}']) });
    expectProblem(res, 415, 'unsupported_media_type');
  });

  it.each([
    ['an array', []],
    ['a string', 'hello'],
    ['null', null],
    ['a number', 42],
  ])('a JSON body that is %s → 400 validation_failed', async (_label, json) => {
    expectProblem(await api.request('POST', '/api/auth/signup', { json }), 400, 'validation_failed');
  });

  it('a body over the limit → 413 payload_too_large, before it is parsed', async () => {
    const before = await userCount();
    const name = uniqueName('big');
    const res = await api.request('POST', '/api/auth/signup', {
      json: { username: name, email: `${name}@example.com`, password: 'correct horse battery', padding: 'x'.repeat(70_000) },
    });
    expectProblem(res, 413, 'payload_too_large');
    expect(await userCount()).toBe(before);
  });

  it('an oversized body sent in chunks without Content-Length → 413 as well', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ >= 8) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${stack.apiUrl}/api/auth/login`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'payload_too_large' });
  });

  it('an unknown route → 404 problem+json', async () => {
    expectProblem(await api.request('GET', '/api/no-such-thing'), 404, 'not_found');
    expectProblem(await api.request('GET', '/no-such-page'), 404, 'not_found');
  });

  it('a known route with the wrong method → 405 with Allow', async () => {
    const res = await api.request('DELETE', '/api/auth/login');
    expectProblem(res, 405, 'method_not_allowed');
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('every response carries the security headers', async () => {
    for (const res of [await api.request('GET', '/api/health'), await api.request('GET', '/api/nope')]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-request-id')).toMatch(/\S+/);
    }
  });
});
