import { lt, or } from 'drizzle-orm';
import type { Clock } from './clock';
import type { Config } from './config';
import type { Database } from './db/client';
import { oneTimeTokens, sessions } from './db/schema';
import { deleteExpiredFiles, deleteExpiredPendingFiles, ownedStorageKeys, removeEndedGrants } from './files';
import type { Logger } from './log';
import type { Mailer } from './mail';
import { deliverOutbox } from './outbox';
import { flushShareNotices } from './share-notices';
import type { ObjectStorage } from './storage';

/**
 * Reconciles the database and the object storage after anything a crash or an outage left
 * half-done. Idempotent: running it twice changes nothing the second time.
 *
 * 1. Pending uploads whose URL expired more than the grace period ago: rows first (re-checked as
 *    still pending in the same statement), then their objects.
 * 2. Objects under `files/` that no pending or ready row owns and that are older than
 *    `orphanAgeSeconds`: the upload copy of a verified file, the object of a deleted file whose
 *    storage call failed, the remains of an interrupted completion. The age keeps the sweep away
 *    from a completion in progress, whose verified copy has no row yet for a few seconds.
 *
 * 3. Sessions that ended (signed out, or past their absolute limit) more than a week ago, with
 *    their refresh tokens; one-time tokens a day past their expiry. Ended sessions are kept a
 *    week so a reused refresh token is still recognised as one for a while.
 *
 * 4. Files past their own end (`expires_at`): rows and grants first (re-checked in the same
 *    statements, so an end just moved later wins), then their objects. Grants past their end,
 *    which already show nothing, are removed, and "all clients" past its end is turned off.
 *    The download audit is kept.
 *
 * First, though, mail: clients' share notices that have gathered long enough become one message
 * each (share-notices.ts), then messages in the outbox that are due (never tried, because the delivery
 * after their response did not happen, or whose retry delay has passed) are sent, up to
 * MAIL_PER_SWEEP a run. It goes first so that a storage outage does not hold mail back.
 */
export interface SweepReport {
  expiredUploads: number;
  orphanObjects: number;
  /** Messages sent, and messages that failed again (each waits its retry delay). */
  mailSent: number;
  mailFailed: number;
  /** Share notices gathered into messages this run (one per client). */
  shareNotices: number;
  endedSessions: number;
  staleTokens: number;
  /** Files deleted because their own end passed, and grants removed because theirs did. */
  expiredFiles: number;
  endedGrants: number;
}

const ENDED_SESSION_KEPT_MS = 7 * 24 * 3600 * 1000;
const STALE_TOKEN_KEPT_MS = 24 * 3600 * 1000;

/** A cron run has a bounded number of outbound requests (Workers): the rest waits 15 minutes. */
const MAIL_PER_SWEEP = 100;
const MAIL_BATCH = 20;

export async function sweep(
  deps: { db: Database; storage: ObjectStorage; clock: Clock; mailer: Mailer; log: Logger; config: Pick<Config, 'appName' | 'publicUrl'> },
  options: { orphanAgeSeconds?: number } = {},
): Promise<SweepReport> {
  const { db, storage, clock } = deps;
  const report: SweepReport = {
    expiredUploads: 0,
    orphanObjects: 0,
    mailSent: 0,
    mailFailed: 0,
    shareNotices: 0,
    endedSessions: 0,
    staleTokens: 0,
    expiredFiles: 0,
    endedGrants: 0,
  };

  report.shareNotices = (await flushShareNotices(db, deps.config, clock.now())).messageIds.length;
  for (let round = 0; round < MAIL_PER_SWEEP / MAIL_BATCH; round++) {
    const delivered = await deliverOutbox(deps, { limit: MAIL_BATCH });
    report.mailSent += delivered.sent;
    report.mailFailed += delivered.failed;
    if (delivered.sent + delivered.failed < MAIL_BATCH) break;
  }

  const now = clock.now();

  const endedBefore = new Date(now.getTime() - ENDED_SESSION_KEPT_MS);
  const [sessionsGone, tokensGone] = await db.batch([
    db.delete(sessions).where(or(lt(sessions.revokedAt, endedBefore), lt(sessions.expiresAt, endedBefore))),
    db.delete(oneTimeTokens).where(lt(oneTimeTokens.expiresAt, new Date(now.getTime() - STALE_TOKEN_KEPT_MS))),
  ]);
  report.endedSessions = sessionsGone.rowsAffected;
  report.staleTokens = tokensGone.rowsAffected;

  for (;;) {
    const keys = await deleteExpiredPendingFiles(db, now, 100);
    for (const key of keys) await storage.delete(key);
    report.expiredUploads += keys.length;
    if (keys.length < 100) break;
  }

  report.endedGrants = await removeEndedGrants(db, now);
  for (;;) {
    const keys = await deleteExpiredFiles(db, now, 100);
    // A failed delete leaves an orphan for the next sweep: no row owns the object any more.
    for (const key of keys) await storage.delete(key);
    report.expiredFiles += keys.length;
    if (keys.length < 100) break;
  }

  const orphanBefore = now.getTime() - (options.orphanAgeSeconds ?? 3600) * 1000;
  let batch: string[] = [];
  const flush = async () => {
    const owned = await ownedStorageKeys(db, batch);
    for (const key of batch) {
      if (owned.has(key)) continue;
      await storage.delete(key);
      report.orphanObjects++;
    }
    batch = [];
  };
  for await (const object of storage.list('files/')) {
    if (object.lastModified.getTime() > orphanBefore) continue;
    batch.push(object.key);
    if (batch.length >= 200) await flush();
  }
  if (batch.length > 0) await flush();
  return report;
}
