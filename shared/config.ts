import { z } from 'zod';

/**
 * All configuration, parsed from a flat string map (process.env on Node, bindings and secrets
 * on Workers) in one place. In production a missing, short or well-known secret stops startup.
 */

/** Values seen in examples and tutorials; a deployment using one is as good as unprotected. */
const KNOWN_PLACEHOLDERS = [
  'changeme',
  'change-me',
  'change_me',
  'secret',
  'password',
  'your-secret',
  'your-secret-key',
  'your_secret_key',
  'supersecret',
  'jwt-secret',
  'replace-me',
  'replace-with-a-long-random-secret',
  'development-only-secret',
  'test-secret',
  'example',
];

export const MIN_SECRET_BYTES = 32;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n- ${problems.join('\n- ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const intFromString = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

const bcryptCost = intFromString(10, 15, 10);

/** The bcrypt cost alone, for operator tools that hash but serve nothing. */
export function readBcryptCost(env: Record<string, string | undefined>): number {
  const parsed = bcryptCost.safeParse(env.BCRYPT_COST);
  if (!parsed.success) throw new ConfigError([`BCRYPT_COST: ${parsed.error.issues[0]?.message ?? 'invalid'}`]);
  return parsed.data;
}

const envSchema = z.object({
  ENVIRONMENT: z.enum(['production', 'development', 'test']).default('development'),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:3000'),
  JWT_SECRET: z.string().optional(),
  LINK_SECRET: z.string().optional(),
  JWT_ISSUER: z.string().min(1).default('secure-file-share'),
  JWT_AUDIENCE: z.string().min(1).default('secure-file-share-api'),
  ACCESS_TOKEN_TTL_SECONDS: intFromString(60, 3600, 900),
  /** Who may create an account: `approval` (anyone; ops approve), `invite` (invitations only), `open` (email verified). */
  SIGNUP_MODE: z.enum(['approval', 'invite', 'open']).default('approval'),
  /** A session not refreshed for this long ends. */
  SESSION_IDLE_DAYS: intFromString(1, 90, 14),
  /** No session lives longer than this, however active. */
  SESSION_MAX_DAYS: intFromString(1, 365, 60),
  INVITATION_TTL_DAYS: intFromString(1, 30, 7),
  BCRYPT_COST: bcryptCost,
  MAX_BODY_BYTES: intFromString(1024, 1024 * 1024, 64 * 1024),
  MAX_UPLOAD_BYTES: intFromString(1024, 5 * 1024 * 1024 * 1024, 100 * 1024 * 1024),
  /** The most any upload may inflate to while it is verified; defaults to twice MAX_UPLOAD_BYTES. */
  MAX_EXPANDED_BYTES: intFromString(1024 * 1024, 64 * 1024 * 1024 * 1024, 0),
  UPLOAD_URL_TTL_SECONDS: intFromString(1, 900, 900),
  LINK_TTL_SECONDS: intFromString(1, 7 * 24 * 3600, 900),
  DOWNLOAD_URL_TTL_SECONDS: intFromString(1, 60, 60),
  /** Comma-separated origins allowed to call the API from a browser (the portal is same-origin). */
  CORS_ORIGINS: z.string().optional(),
  LOG_LEVEL: z.enum(['info', 'warn', 'error']).default('info'),
  /** Node behind a reverse proxy: the header it sets to the client's address (e.g. X-Forwarded-For). */
  TRUSTED_PROXY_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/)
    .optional(),
  DATABASE_URL: z.string().min(1).default('file:.data/app.db'),
  DATABASE_AUTH_TOKEN: z.string().optional(),
  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:9000'),
  S3_BUCKET: z.string().min(3).max(63).default('files'),
  S3_REGION: z.string().min(1).default('auto'),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  /** The product's name as people read it in messages. */
  APP_NAME: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[^\x00-\x1f\x7f]+$/, 'must be one line of text')
    .default('Secure File Share'),
  /** The sender of every message: `no-reply@example.com` or `Example Files <no-reply@example.com>`. */
  MAIL_FROM: z.string().optional(),
  // An empty value counts as none: the check below then names the setting as missing.
  SES_REGION: z.union([z.literal(''), z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1')]).optional(),
  /** Only for a local or test server: production talks to the region's own endpoint. */
  SES_ENDPOINT: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).optional(),
  SES_ACCESS_KEY_ID: z.string().optional(),
  SES_SECRET_ACCESS_KEY: z.string().optional(),
});

/** The settings as a runtime hands them over (process.env, Workers bindings): every one a string. */
export type ConfigEnv = { [K in keyof z.input<typeof envSchema>]?: string };

export interface Config {
  environment: 'production' | 'development' | 'test';
  publicUrl: string;
  jwt: { secret: string; issuer: string; audience: string; ttlSeconds: number };
  signupMode: 'approval' | 'invite' | 'open';
  /** Refresh sessions: the idle and the absolute limit. */
  sessions: { idleSeconds: number; maxSeconds: number };
  invitationTtlSeconds: number;
  linkSecret: string;
  bcryptCost: number;
  maxBodyBytes: number;
  /** `maxExpandedBytes`: the ceiling on what one upload may inflate to while it is verified. */
  uploads: { maxBytes: number; urlTtlSeconds: number; maxExpandedBytes: number };
  /** Download links (the JWE) and the presigned GET behind them (at most 60 s). */
  downloads: { linkTtlSeconds: number; urlTtlSeconds: number };
  trustedProxyHeader: string | undefined;
  corsOrigins: string[];
  logLevel: 'info' | 'warn' | 'error';
  database: { url: string; authToken: string | undefined };
  storage: {
    endpoint: string;
    bucket: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
  };
  /** The product's name in messages (`APP_NAME`); links in them start with `publicUrl`. */
  appName: string;
  /** Amazon SES (API v2), or undefined outside production when no mail setting is given. */
  mail: MailConfig | undefined;
}

export interface MailConfig {
  /** As SES takes it: an address, or `Display Name <address>`. */
  from: string;
  region: string;
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Every setting SES needs; production refuses to start without them. */
const MAIL_SETTINGS = ['MAIL_FROM', 'SES_REGION', 'SES_ACCESS_KEY_ID', 'SES_SECRET_ACCESS_KEY'] as const;

/**
 * A sender SES accepts and no header can be smuggled into: `address` or `Name <address>`, one
 * line of printable ASCII (SES wants a non-ASCII display name as an RFC 2047 encoded-word).
 */
const MAIL_FROM_PATTERN = /^(?:[ -;=?-~]*<[!-;=?A-~]+@[!-;=?A-~]+>|[!-;=?A-~]+@[!-;=?A-~]+)$/;

/**
 * Bytes of key material a secret carries: a hex string holds half a byte per character, a
 * base64 one three quarters, anything else is taken at its UTF-8 length.
 */
function secretStrengthBytes(value: string): number {
  if (/^[0-9a-f]+$/i.test(value)) return Math.floor(value.length / 2);
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return Math.floor((value.replace(/=+$/, '').length * 3) / 4);
  return new TextEncoder().encode(value).length;
}

function secretProblems(name: string, value: string | undefined): string[] {
  if (value === undefined || value === '') return [`${name} is missing`];
  const problems: string[] = [];
  if (secretStrengthBytes(value) < MIN_SECRET_BYTES) {
    problems.push(`${name} is shorter than ${MIN_SECRET_BYTES} bytes of key material`);
  }
  const lowered = value.toLowerCase();
  if (KNOWN_PLACEHOLDERS.some((p) => lowered === p || lowered.startsWith(`${p}-`) || lowered.startsWith(`${p}_`))) {
    problems.push(`${name} is a well-known placeholder, not a secret`);
  } else if (new Set(value).size < 8) {
    problems.push(`${name} has too little variety to be random`);
  }
  return problems;
}

/** Parses and checks configuration; throws ConfigError listing every problem at once. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const production = e.ENVIRONMENT === 'production';
  const problems: string[] = [];

  const secrets: Array<[string, string | undefined]> = [
    ['JWT_SECRET', e.JWT_SECRET],
    ['LINK_SECRET', e.LINK_SECRET],
    ['S3_ACCESS_KEY_ID', e.S3_ACCESS_KEY_ID],
    ['S3_SECRET_ACCESS_KEY', e.S3_SECRET_ACCESS_KEY],
  ];
  for (const [name, value] of secrets) {
    if (name === 'S3_ACCESS_KEY_ID') {
      if (!value) problems.push(`${name} is missing`);
      continue; // an access key id is an identifier, not a secret: only its presence matters
    }
    if (production) problems.push(...secretProblems(name, value));
    else if (!value) problems.push(`${name} is missing`);
  }
  for (const origin of (e.CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)) {
    if (!/^https?:\/\/[^/\s*]+\/?$/.test(origin))
      problems.push(`CORS_ORIGINS: "${origin}" is not an origin (scheme://host[:port], no wildcard)`);
  }
  if (e.JWT_SECRET && e.JWT_SECRET === e.LINK_SECRET) {
    problems.push('JWT_SECRET and LINK_SECRET must be different keys');
  }
  if (production) {
    if (!e.PUBLIC_URL.startsWith('https://')) problems.push('PUBLIC_URL must be an https:// URL in production');
    // The local defaults must never be what production quietly falls back to.
    for (const name of ['PUBLIC_URL', 'DATABASE_URL', 'S3_ENDPOINT'] as const) {
      if (!env[name]) problems.push(`${name} must be set in production`);
    }
  }
  // Mail: all of it or, outside production, none of it (messages then wait in the outbox).
  const mailGiven = MAIL_SETTINGS.filter((name) => e[name]);
  if (production || mailGiven.length > 0) {
    for (const name of MAIL_SETTINGS) if (!e[name]) problems.push(`${name} is missing`);
  }
  if (e.MAIL_FROM && !MAIL_FROM_PATTERN.test(e.MAIL_FROM.trim())) {
    problems.push('MAIL_FROM: must be an address, or a display name and an address as in "Example Files <no-reply@example.com>"');
  }
  if (production && e.SES_ENDPOINT && !e.SES_ENDPOINT.startsWith('https://')) {
    problems.push('SES_ENDPOINT must be an https:// URL in production');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    environment: e.ENVIRONMENT,
    publicUrl: e.PUBLIC_URL.replace(/\/+$/, ''),
    jwt: {
      secret: e.JWT_SECRET as string,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      ttlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    },
    signupMode: e.SIGNUP_MODE,
    sessions: { idleSeconds: e.SESSION_IDLE_DAYS * 86_400, maxSeconds: e.SESSION_MAX_DAYS * 86_400 },
    invitationTtlSeconds: e.INVITATION_TTL_DAYS * 86_400,
    linkSecret: e.LINK_SECRET as string,
    bcryptCost: e.BCRYPT_COST,
    maxBodyBytes: e.MAX_BODY_BYTES,
    uploads: {
      maxBytes: e.MAX_UPLOAD_BYTES,
      urlTtlSeconds: e.UPLOAD_URL_TTL_SECONDS,
      maxExpandedBytes: e.MAX_EXPANDED_BYTES || 2 * e.MAX_UPLOAD_BYTES,
    },
    downloads: { linkTtlSeconds: e.LINK_TTL_SECONDS, urlTtlSeconds: e.DOWNLOAD_URL_TTL_SECONDS },
    trustedProxyHeader: e.TRUSTED_PROXY_HEADER?.toLowerCase(),
    logLevel: e.LOG_LEVEL,
    corsOrigins: (e.CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim().replace(/\/+$/, ''))
      .filter(Boolean),
    database: { url: e.DATABASE_URL, authToken: e.DATABASE_AUTH_TOKEN || undefined },
    storage: {
      endpoint: e.S3_ENDPOINT.replace(/\/+$/, ''),
      bucket: e.S3_BUCKET,
      region: e.S3_REGION,
      accessKeyId: e.S3_ACCESS_KEY_ID as string,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY as string,
    },
    appName: e.APP_NAME,
    mail:
      mailGiven.length > 0
        ? {
            from: (e.MAIL_FROM as string).trim(),
            region: e.SES_REGION as string,
            endpoint: (e.SES_ENDPOINT || `https://email.${e.SES_REGION}.amazonaws.com`).replace(/\/+$/, ''),
            accessKeyId: e.SES_ACCESS_KEY_ID as string,
            secretAccessKey: e.SES_SECRET_ACCESS_KEY as string,
          }
        : undefined,
  };
}
