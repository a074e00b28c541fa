import { and, eq, inArray, isNull, lte, or } from 'drizzle-orm';
import type { Deps } from './api/context';
import type { Clock } from './clock';
import type { Database } from './db/client';
import { type OutboxRow, outbox } from './db/schema';
import type { Logger } from './log';
import { MailError, type Mailer, type MailMessage, SEND_TIMEOUT_MS } from './mail';

/**
 * The outbox: mail is written to the database in the same batch as the event that causes it,
 * and delivered from there, after the response or by the sweep. A message is therefore sent
 * exactly when its event happened, and at most once, unless the process dies (or SES's answer
 * is lost) between SES accepting it and the row recording that: then the claim runs out and it
 * goes again. Nothing here logs a recipient, a subject or a body.
 */

export interface OutboxMessage extends MailMessage {
  /** A free label for the operator: 'invitation', 'password_reset', 'approval_request', … */
  kind: string;
  /** Give one to deliver the message right after its batch (deliverAfterResponse); random otherwise. */
  id?: string;
}

export interface DeliveryReport {
  sent: number;
  failed: number;
}

/** How long a claimed message is left to the process that claimed it. */
export const CLAIM_SECONDS = 60;
/**
 * Sends start only while every one of them can end (SEND_TIMEOUT_MS) before the claim does;
 * the rest are handed back. Measured in real time: the injectable clock stands still in tests.
 */
const SENDING_BUDGET_MS = CLAIM_SECONDS * 1000 - SEND_TIMEOUT_MS - 5_000;
const DEFAULT_LIMIT = 20;

/** After a message's n-th failure (n from 1), the next attempt waits 30 s · 2^(n-1), at most an hour. */
export function retryDelaySeconds(failures: number): number {
  return Math.min(30 * 2 ** Math.max(0, failures - 1), 3600);
}

export const newMessageId = (): string => crypto.randomUUID();

/**
 * The insert of one message, not run: the caller puts it in the same `db.batch([...])` as the
 * event that causes it, so there is never an event without its mail, or mail without its event.
 */
export function outboxInsert(db: Database, message: OutboxMessage, now: Date) {
  return db.insert(outbox).values({
    id: message.id ?? newMessageId(),
    recipient: message.to,
    subject: message.subject,
    textBody: message.text,
    htmlBody: message.html,
    kind: message.kind,
    createdAt: now,
    attempts: 0,
    nextAttemptAt: now,
  });
}

/** One message on its own (no event to write with it); returns its id. */
export async function enqueue(db: Database, message: OutboxMessage, now: Date): Promise<string> {
  const id = message.id ?? newMessageId();
  await outboxInsert(db, { ...message, id }, now);
  return id;
}

/**
 * Claims up to `limit` due, unsent, unclaimed messages in one statement: an UPDATE that picks
 * its rows and marks them, which the database runs as a whole, so two processes or isolates
 * never both claim one message.
 */
export function claimQuery(db: Database, now: Date, options: { limit?: number; ids?: string[] } = {}) {
  const due = and(
    isNull(outbox.sentAt),
    lte(outbox.nextAttemptAt, now),
    or(isNull(outbox.claimedUntil), lte(outbox.claimedUntil, now)),
    options.ids ? inArray(outbox.id, options.ids) : undefined,
  );
  const picked = db
    .select({ id: outbox.id })
    .from(outbox)
    .where(due)
    .orderBy(outbox.nextAttemptAt)
    .limit(options.limit ?? DEFAULT_LIMIT);
  return db
    .update(outbox)
    .set({ claimedUntil: new Date(now.getTime() + CLAIM_SECONDS * 1000) })
    .where(inArray(outbox.id, picked))
    .returning();
}

/** What a failure leaves in the row and the log: a MailError's own short text, else only the error's name. */
const shortError = (error: unknown) =>
  (error instanceof MailError ? error.message : error instanceof Error ? error.name : 'failed').slice(0, 200);

/**
 * Sends due messages (or only `ids`, when due): claims them, sends each, and records it sent,
 * or failed with its attempts counted and its next attempt pushed back (retryDelaySeconds).
 * Database failures are thrown; a message whose outcome was not recorded is claimed again
 * once its claim runs out.
 */
export async function deliverOutbox(
  deps: { db: Database; mailer: Mailer; clock: Clock; log: Logger },
  options: { limit?: number; ids?: string[] } = {},
): Promise<DeliveryReport> {
  const { db, mailer, clock, log } = deps;
  const report: DeliveryReport = { sent: 0, failed: 0 };
  if (options.ids?.length === 0) return report;
  const started = performance.now();
  const claimed = (await claimQuery(db, clock.now(), options)).sort(
    (a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || a.createdAt.getTime() - b.createdAt.getTime(),
  );
  for (const [i, row] of claimed.entries()) {
    if (performance.now() - started > SENDING_BUDGET_MS) {
      await release(db, claimed.slice(i));
      break;
    }
    try {
      await mailer.send({ to: row.recipient, subject: row.subject, text: row.textBody, html: row.htmlBody });
    } catch (error) {
      const attempts = row.attempts + 1;
      const failedAt = clock.now();
      const nextAttemptAt = new Date(failedAt.getTime() + retryDelaySeconds(attempts) * 1000);
      const lastError = shortError(error);
      await db
        .update(outbox)
        .set({ attempts, nextAttemptAt, claimedUntil: null, lastError })
        .where(and(eq(outbox.id, row.id), isNull(outbox.sentAt)));
      log('warn', { event: 'mail_failed', id: row.id, kind: row.kind, attempts, retryAt: nextAttemptAt.toISOString(), error: lastError });
      report.failed++;
      continue;
    }
    await db
      .update(outbox)
      .set({ sentAt: clock.now(), attempts: row.attempts + 1, claimedUntil: null, lastError: null, textBody: '', htmlBody: '' })
      .where(eq(outbox.id, row.id));
    log('info', { event: 'mail_sent', id: row.id, kind: row.kind, attempts: row.attempts + 1 });
    report.sent++;
  }
  return report;
}

/** Hands claimed messages back at once, for the next delivery, instead of after the claim runs out. */
async function release(db: Database, rows: OutboxRow[]): Promise<void> {
  await db
    .update(outbox)
    .set({ claimedUntil: null })
    .where(
      and(
        inArray(
          outbox.id,
          rows.map((r) => r.id),
        ),
        isNull(outbox.sentAt),
      ),
    );
}

/**
 * For a handler, after the batch that wrote the messages: they go out once the response has,
 * and whatever fails waits in the outbox for the sweep.
 */
export function deliverAfterResponse(deps: Pick<Deps, 'db' | 'mailer' | 'clock' | 'log' | 'afterResponse'>, ids: string[]): void {
  deps.afterResponse(deliverOutbox(deps, { ids, limit: ids.length }));
}
