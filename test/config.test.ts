import type { ExecutionContext } from 'hono';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../shared/config';

const strong = (seed: string) => `${seed}-Zq8vN3kLp0Xw7RtY2bHc5MdJ9fGs4Ue1aK6pW0rT3yQ8zL5x`;
const production = (overrides: Record<string, string | undefined> = {}) => ({
  ENVIRONMENT: 'production',
  PUBLIC_URL: 'https://files.example.com',
  DATABASE_URL: 'libsql://db-org.turso.io',
  DATABASE_AUTH_TOKEN: 'token',
  S3_ENDPOINT: 'https://account.r2.cloudflarestorage.com',
  S3_ACCESS_KEY_ID: 'key-id',
  S3_SECRET_ACCESS_KEY: strong('s3'),
  JWT_SECRET: strong('jwt'),
  LINK_SECRET: strong('link'),
  MAIL_FROM: 'Example Files <no-reply@files.example.com>',
  SES_REGION: 'eu-west-1',
  SES_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE00',
  SES_SECRET_ACCESS_KEY: strong('ses'),
  ...overrides,
});
const MAIL_SETTINGS = ['MAIL_FROM', 'SES_REGION', 'SES_ACCESS_KEY_ID', 'SES_SECRET_ACCESS_KEY'];

const problemsOf = (env: Record<string, string | undefined>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('configuration in production', () => {
  it('starts with strong, distinct secrets and an https public URL (the control)', () => {
    const config = loadConfig(production());
    expect(config.environment).toBe('production');
    expect(config.jwt.ttlSeconds).toBe(900);
    expect(config.bcryptCost).toBe(10);
  });

  it.each(['JWT_SECRET', 'LINK_SECRET', 'S3_SECRET_ACCESS_KEY'])('refuses a missing %s', (name) => {
    expect(problemsOf(production({ [name]: undefined }))).toContain(`${name} is missing`);
    expect(problemsOf(production({ [name]: '' }))).toContain(`${name} is missing`);
  });

  it.each(['JWT_SECRET', 'LINK_SECRET', 'S3_SECRET_ACCESS_KEY'])('refuses a %s shorter than 32 bytes', (name) => {
    expect(problemsOf(production({ [name]: 'Zq8vN3kLp0Xw7RtY2bHc5Md!' }))).toContain(`${name} is shorter than 32 bytes of key material`);
  });

  it.each([
    ['changeme-changeme-changeme-changeme'],
    ['secret_secret_secret_secret_secret_secret'],
    ['your-secret-key-and-it-is-long-enough-now'],
    ['a'.repeat(64)],
    ['0123012301230123012301230123012301230123'],
  ])('refuses a well-known or patterned JWT_SECRET: %s', (value) => {
    const problems = problemsOf(production({ JWT_SECRET: value }));
    expect(
      problems.some((p) => p.startsWith('JWT_SECRET is a well-known placeholder') || p.startsWith('JWT_SECRET has too little variety')),
    ).toBe(true);
  });

  it('counts key material, not characters: 32 hex characters are only 16 bytes', () => {
    expect(problemsOf(production({ JWT_SECRET: '9f86d081884c7d659a2feaa0c55ad015' }))).toContain(
      'JWT_SECRET is shorter than 32 bytes of key material',
    );
    expect(problemsOf(production({ JWT_SECRET: '9f86d081884c7d659a2feaa0c55ad0159f86d081884c7d659a2feaa0c55ad01a' }))).toEqual([]);
  });

  it.each(['PUBLIC_URL', 'DATABASE_URL', 'S3_ENDPOINT'])('refuses to fall back to a local default for %s', (name) => {
    expect(problemsOf(production({ [name]: undefined }))).toContain(`${name} must be set in production`);
  });

  it('refuses the same key for tokens and links (key separation)', () => {
    expect(problemsOf(production({ LINK_SECRET: strong('jwt') }))).toContain('JWT_SECRET and LINK_SECRET must be different keys');
  });

  it('refuses a public URL that is not https', () => {
    expect(problemsOf(production({ PUBLIC_URL: 'http://files.example.com' }))).toContain(
      'PUBLIC_URL must be an https:// URL in production',
    );
  });

  it.each(MAIL_SETTINGS)('refuses to start without %s: mail is how invitations and resets reach people', (name) => {
    expect(problemsOf(production({ [name]: undefined }))).toContain(`${name} is missing`);
    expect(problemsOf(production({ [name]: '' }))).toContain(`${name} is missing`);
  });

  it('names every missing mail setting at once, and never a value', () => {
    const env = production(Object.fromEntries(MAIL_SETTINGS.map((name) => [name, undefined])));
    const problems = problemsOf(env);
    expect(problems).toEqual(expect.arrayContaining(MAIL_SETTINGS.map((name) => `${name} is missing`)));
    const text = problems.join('\n');
    for (const value of [env.S3_SECRET_ACCESS_KEY, env.JWT_SECRET, env.LINK_SECRET]) expect(text).not.toContain(value);
    expect(text).not.toContain(strong('ses'));
  });

  it("talks to the region's own SES endpoint unless SES_ENDPOINT says otherwise, which must then be https", () => {
    expect(loadConfig(production()).mail).toEqual({
      from: 'Example Files <no-reply@files.example.com>',
      region: 'eu-west-1',
      endpoint: 'https://email.eu-west-1.amazonaws.com',
      accessKeyId: 'AKIAEXAMPLEEXAMPLE00',
      secretAccessKey: strong('ses'),
    });
    expect(loadConfig(production({ SES_ENDPOINT: 'https://ses.internal.example.com/' })).mail?.endpoint).toBe(
      'https://ses.internal.example.com',
    );
    expect(problemsOf(production({ SES_ENDPOINT: 'http://127.0.0.1:8005' }))).toContain(
      'SES_ENDPOINT must be an https:// URL in production',
    );
  });

  it.each([
    ['a header smuggled in', 'no-reply@example.com\r\nBcc: someone@example.com'],
    ['two addresses', 'a@example.com, b@example.com'],
    ['no address', 'Example Files'],
    ['an unclosed bracket', 'Example Files <no-reply@example.com'],
    ['a non-ASCII display name (SES wants it encoded)', 'Fichiers Exemple é <no-reply@example.com>'],
  ])('refuses a MAIL_FROM with %s', (_label, value) => {
    expect(problemsOf(production({ MAIL_FROM: value })).some((p) => p.startsWith('MAIL_FROM:'))).toBe(true);
  });

  it('takes a bare address as MAIL_FROM too, and names the product in messages', () => {
    expect(loadConfig(production({ MAIL_FROM: 'no-reply@files.example.com' })).mail?.from).toBe('no-reply@files.example.com');
    expect(loadConfig(production()).appName).toBe('Secure File Share');
    expect(loadConfig(production({ APP_NAME: 'Example Files' })).appName).toBe('Example Files');
    expect(problemsOf(production({ APP_NAME: 'Example\nFiles' })).some((p) => p.startsWith('APP_NAME'))).toBe(true);
    expect(problemsOf(production({ SES_REGION: 'email.example.com/x' })).some((p) => p.startsWith('SES_REGION'))).toBe(true);
  });

  it('lists every problem at once', () => {
    expect(problemsOf(production({ JWT_SECRET: undefined, LINK_SECRET: 'short' })).length).toBeGreaterThanOrEqual(2);
  });

  it.each([
    ['BCRYPT_COST', '9'],
    ['BCRYPT_COST', 'ten'],
    ['ACCESS_TOKEN_TTL_SECONDS', '86400'],
    ['ENVIRONMENT', 'staging'],
  ])('refuses %s=%s', (name, value) => {
    expect(problemsOf(production({ [name]: value })).some((p) => p.startsWith(name))).toBe(true);
  });
});

describe('configuration outside production', () => {
  it('still requires the secrets to be present', () => {
    expect(problemsOf({ ENVIRONMENT: 'development' })).toEqual(
      expect.arrayContaining(['JWT_SECRET is missing', 'LINK_SECRET is missing', 'S3_SECRET_ACCESS_KEY is missing']),
    );
  });

  it('runs without mail (messages wait in the outbox), but a partial mail configuration names what is missing', () => {
    const local = {
      ENVIRONMENT: 'development',
      S3_ACCESS_KEY_ID: 'local',
      S3_SECRET_ACCESS_KEY: strong('s3'),
      JWT_SECRET: strong('jwt'),
      LINK_SECRET: strong('link'),
    };
    expect(loadConfig(local).mail).toBeUndefined();
    expect(problemsOf({ ...local, MAIL_FROM: 'no-reply@localhost' })).toEqual([
      'SES_REGION is missing',
      'SES_ACCESS_KEY_ID is missing',
      'SES_SECRET_ACCESS_KEY is missing',
    ]);
  });
});

describe('the worker (runtime/worker.ts, called in-process) in production mode refuses a weak configuration', () => {
  const strong = 'Zq8vN3kLp0Xw7RtY2bHc5MdJ9fGs4Ue1aK6pW0rT3yQ8zL5x';
  // Bound as test/helpers/worker-stack.ts binds them; ENVIRONMENT left unset: the worker must assume production.
  const deployed = {
    PUBLIC_URL: 'http://127.0.0.1:8787',
    BCRYPT_COST: '10',
    LOG_LEVEL: 'warn',
    DATABASE_URL: 'http://127.0.0.1:8080',
    S3_ENDPOINT: 'http://127.0.0.1:9000',
    S3_BUCKET: 'files',
    S3_REGION: 'us-east-1',
    S3_ACCESS_KEY_ID: 'local-0123456789abcdef',
    S3_SECRET_ACCESS_KEY: `${strong}-s3`,
    JWT_SECRET: strong,
    LINK_SECRET: `${strong}-link`,
    MAIL_FROM: 'Secure File Share <no-reply@localhost>',
    SES_REGION: 'us-east-1',
    SES_ENDPOINT: 'http://127.0.0.1:8005',
    SES_ACCESS_KEY_ID: 'local-0123456789abcdef',
    SES_SECRET_ACCESS_KEY: `${strong}-ses`,
  };
  const ctx = { waitUntil: () => undefined, passThroughOnException: () => undefined, props: {} } as unknown as ExecutionContext;
  // The worker reads its configuration once per isolate: a fresh module for each case is a fresh isolate.
  beforeEach(() => {
    vi.resetModules();
  });

  it.each([
    ['a missing JWT secret', { JWT_SECRET: undefined }, 'JWT_SECRET is missing'],
    ['a short link secret', { LINK_SECRET: 'short-but-not-empty' }, 'LINK_SECRET is shorter than 32 bytes of key material'],
    [
      'a well-known JWT secret',
      { JWT_SECRET: 'changeme-changeme-changeme-changeme-changeme' },
      'JWT_SECRET is a well-known placeholder, not a secret',
    ],
    ['an http public URL', {}, 'PUBLIC_URL must be an https:// URL in production'],
    ['no mail sender', { MAIL_FROM: undefined }, 'MAIL_FROM is missing'],
    ['no SES secret', { SES_SECRET_ACCESS_KEY: undefined }, 'SES_SECRET_ACCESS_KEY is missing'],
  ])('%s: every request gets 503 misconfigured, and the log says why without the value', async (_label, bindings, problem) => {
    const { default: worker } = await import('../runtime/worker');
    const env: Record<string, string> = { ...deployed };
    // A binding given as undefined is left out, as a deployment that forgot it would.
    for (const [name, value] of Object.entries(bindings)) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    const logged: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => logged.push(args.map(String).join(' '));
    try {
      for (const route of ['/api/health', '/api/auth/login']) {
        const res = await worker.fetch(new Request(`${deployed.PUBLIC_URL}${route}`), env, ctx);
        expect(res.status).toBe(503);
        const body = (await res.json()) as { code: string; detail: string };
        expect(body.code).toBe('misconfigured');
        for (const value of Object.values(bindings)) if (value) expect(JSON.stringify(body)).not.toContain(value);
      }
    } finally {
      console.error = original;
    }
    const log = logged.join('\n');
    expect(log).toContain(problem);
    for (const value of Object.values(bindings)) if (value) expect(log).not.toContain(value);
  });
});
