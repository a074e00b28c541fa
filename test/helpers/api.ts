import { contractOf } from './contract';

const PROJECT_ROOT = new URL('../..', import.meta.url).pathname;
/** What must never appear in a response: stack frames, SQL and driver messages, hashes, our paths. */
const LEAK = new RegExp(
  [
    String.raw`at .+\.(ts|js):\d+`,
    'SQLITE',
    'Failed query',
    'params:',
    'node_modules',
    String.raw`\$2[aby]\$\d\d\$`,
    PROJECT_ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
  ].join('|'),
  'i',
);

const randomAddress = () => `10.${Array.from(crypto.getRandomValues(new Uint8Array(3))).join('.')}`;

/** A thin HTTP client for black-box tests: real fetch, real sockets, no app internals. */
export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  json?: unknown;
  body?: BodyInit;
  token?: string;
  headers?: Record<string, string>;
}

/**
 * `sql`, when given, lets `signup` arrange an active account, as ops approving it would (the
 * service's default sign-up mode leaves a new client pending); `keepPending` skips that.
 */
export function apiClient(baseUrl: string, options: { sql?: { execute(stmt: { sql: string; args: string[] }): Promise<unknown> } } = {}) {
  async function request<T = Record<string, unknown>>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    // Every request comes from its own address unless a test says otherwise, so the suites do not
    // throttle themselves; the rate-limit tests set the address on purpose.
    const address = options.headers?.['x-forwarded-for'] ?? randomAddress();
    const headers: Record<string, string> = { 'x-forwarded-for': address, 'cf-connecting-ip': address, ...options.headers };
    let body = options.body;
    if (options.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(options.json);
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const res = await fetch(`${baseUrl}${path}`, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    let parsed: unknown;
    if (/json/.test(res.headers.get('content-type') ?? '') && text) parsed = JSON.parse(text);
    // Every response must be what the OpenAPI document promises for its status.
    const drift = (await contractOf(baseUrl)).check(method, path, res.status, res.headers.get('content-type'), parsed);
    if (drift) throw new Error(`The response drifted from the OpenAPI document: ${drift}\n${text.slice(0, 500)}`);
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  async function signup(
    username: string,
    password = 'correct horse battery',
    email = `${username}@example.com`,
    { keepPending = false }: { keepPending?: boolean } = {},
  ) {
    const res = await request<{ user: { id: string; username: string; email: string; role: string; status: string } }>(
      'POST',
      '/api/auth/signup',
      { json: { username, email, password } },
    );
    if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`);
    const user = res.body.user;
    if (options.sql && !keepPending && user.status !== 'active') {
      await options.sql.execute({ sql: "update users set status = 'active' where id = ?", args: [user.id] });
      return { ...user, status: 'active' };
    }
    return user;
  }

  async function login(username: string, password = 'correct horse battery') {
    const res = await request<{ accessToken: string; user: { id: string; role: string } }>('POST', '/api/auth/login', {
      json: { username, password },
    });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
    return res.body.accessToken;
  }

  return { request, signup, login, baseUrl };
}

export type ApiClient = ReturnType<typeof apiClient>;

/** Every error must be problem+json with a stable code and nothing internal in it. */
export function expectProblem(res: ApiResponse, status: number, code: string) {
  const problem = res.body as { status?: number; code?: string; title?: string; detail?: string };
  const ok =
    res.status === status &&
    (res.headers.get('content-type') ?? '').startsWith('application/problem+json') &&
    problem?.status === status &&
    problem?.code === code &&
    typeof problem.title === 'string' &&
    typeof problem.detail === 'string' &&
    !LEAK.test(res.text);
  if (!ok) throw new Error(`expected ${status} ${code} problem+json, got ${res.status} ${res.headers.get('content-type')} ${res.text}`);
}
