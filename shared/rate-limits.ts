import { inArray, sql } from 'drizzle-orm';
import type { Database } from './db/client';
import { rateLimits } from './db/schema';
import { ApiError } from './errors';

/**
 * Throttling in the database, so every stateless instance sees the same counts. Failures make
 * the next attempt wait longer and longer (a few free, then doubling up to a cap) rather than
 * locking anything: a stranger hammering someone's account slows that account's attempts from
 * elsewhere only up to a short cap, and never shuts its owner out.
 */
export interface LimitRule {
  /** Attempts within the window that cost nothing. */
  free: number;
  /** The first delay after the free ones, doubling with each further attempt. */
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  /** Counts older than this are forgotten. */
  windowSeconds: number;
}

export const RULES = {
  loginPerIp: { free: 20, baseDelaySeconds: 1, maxDelaySeconds: 300, windowSeconds: 3600 },
  loginPerAccountAndIp: { free: 5, baseDelaySeconds: 2, maxDelaySeconds: 900, windowSeconds: 3600 },
  // Low cap on purpose: this one a stranger can drive, so it only ever slows the account down.
  loginPerAccount: { free: 20, baseDelaySeconds: 1, maxDelaySeconds: 30, windowSeconds: 3600 },
  signupPerIp: { free: 10, baseDelaySeconds: 60, maxDelaySeconds: 3600, windowSeconds: 3600 },
  // Links sent by email (invitations, resets, verification): guessing one is hopeless (256 bits),
  // but every attempt costs a lookup, so a stream of them from one address slows down.
  tokenPerIp: { free: 20, baseDelaySeconds: 1, maxDelaySeconds: 300, windowSeconds: 3600 },
  // Asking for a reset mail: per address, and per email (so one inbox is not flooded).
  forgotPerIp: { free: 10, baseDelaySeconds: 30, maxDelaySeconds: 3600, windowSeconds: 3600 },
  forgotPerEmail: { free: 3, baseDelaySeconds: 300, maxDelaySeconds: 3600, windowSeconds: 3600 },
  // Wrong current passwords (password change, removing a factor) for one signed-in account.
  reauthPerAccount: { free: 5, baseDelaySeconds: 2, maxDelaySeconds: 900, windowSeconds: 3600 },
} satisfies Record<string, LimitRule>;

export interface Limit {
  key: string;
  rule: LimitRule;
}

/** The wait before the next attempt, given how many were counted in the window so far. */
const delayMs = (count: number, rule: LimitRule) =>
  count < rule.free ? 0 : Math.min(rule.baseDelaySeconds * 2 ** (count - rule.free), rule.maxDelaySeconds) * 1000;

/** Throws 429 (with Retry-After) when any of the limits says the caller must wait. */
export async function assertNotThrottled(db: Database, limits: Limit[], now: Date): Promise<void> {
  if (limits.length === 0) return;
  const rows = await db
    .select()
    .from(rateLimits)
    .where(
      inArray(
        rateLimits.key,
        limits.map((l) => l.key),
      ),
    );
  let waitMs = 0;
  for (const row of rows) {
    const rule = limits.find((l) => l.key === row.key)?.rule;
    if (!rule || row.windowStart + rule.windowSeconds * 1000 < now.getTime()) continue;
    waitMs = Math.max(waitMs, row.lastAt + delayMs(row.count, rule) - now.getTime());
  }
  if (waitMs > 0) {
    const seconds = Math.ceil(waitMs / 1000);
    throw new ApiError(429, 'rate_limited', `Too many attempts; try again in ${seconds} second${seconds === 1 ? '' : 's'}.`, {
      headers: { 'Retry-After': String(seconds) },
    });
  }
}

/** Counts one attempt against each limit, atomically, starting a new window where one expired. */
export async function recordAttempt(db: Database, limits: Limit[], now: Date): Promise<void> {
  const t = now.getTime();
  await db.batch(
    limits.map(({ key, rule }) => {
      const expired = t - rule.windowSeconds * 1000;
      return db.run(sql`
        insert into ${rateLimits} (key, window_start, count, last_at) values (${key}, ${t}, 1, ${t})
        on conflict (key) do update set
          count = case when ${rateLimits.windowStart} < ${expired} then 1 else ${rateLimits.count} + 1 end,
          window_start = case when ${rateLimits.windowStart} < ${expired} then ${t} else ${rateLimits.windowStart} end,
          last_at = ${t}`);
    }) as [ReturnType<typeof db.run>, ...ReturnType<typeof db.run>[]],
  );
}

export async function clearAttempts(db: Database, keys: string[]): Promise<void> {
  if (keys.length > 0) await clearAttemptsStatement(db, keys);
}

export const clearAttemptsStatement = (db: Database, keys: string[]) => db.delete(rateLimits).where(inArray(rateLimits.key, keys));
