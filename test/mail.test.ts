import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNodeDeps, type NodeDeps } from '../runtime/node';
import type { Clock } from '../shared/clock';
import { ConfigError, loadConfig } from '../shared/config';
import { createDatabase } from '../shared/db/client';
import { users } from '../shared/db/schema';
import { createSesMailer } from '../shared/mail';
import { renderMessage } from '../shared/mail-render';
import { CLAIM_SECONDS, claimQuery, deliverAfterResponse, deliverOutbox, enqueue, newMessageId, outboxInsert } from '../shared/outbox';
import { sweepNow } from './helpers/files';
import { exactlyMail, mailTo } from './helpers/mailbox';
import { type ApiStack, startApiStack, startTestStack, type TestStack, uniqueName, useStack } from './helpers/stack';

/**
 * Mail, end to end: the outbox in the real database, the SES v2 request signed and sent over
 * HTTP to the local SES server (aws-ses-v2-local), and the messages read back from its store.
 * Nothing is mocked. The outbox's own rules run on Node, where the clock can be moved; the
 * sweep's delivery also runs in workerd, through the worker's cron handler.
 */

const address = (label: string) => `${uniqueName(label)}@example.com`;

interface OutboxState {
  attempts: number;
  next_attempt_at: number;
  claimed_until: number | null;
  sent_at: number | null;
  last_error: string | null;
  text_body: string;
  html_body: string;
}
const rowOf = async (stack: ApiStack, id: string): Promise<OutboxState> => {
  const rows = await stack.sql.execute({ sql: 'select * from outbox where id = ?', args: [id] });
  return rows.rows[0] as unknown as OutboxState;
};

const message = (to: string, stack: ApiStack, words = 'Your documents are ready.') => ({
  to,
  kind: 'test',
  ...renderMessage(
    { subject: `Hello ${to}`, paragraphs: [words], action: { label: 'Open the portal', url: `${stack.config.publicUrl}/` } },
    stack.config,
  ),
});

describe.skipIf(process.env.TEST_RUNTIME === 'workerd')('the outbox on Node (a clock the tests move)', () => {
  let stack: TestStack;
  let offsetMs = 0;
  const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };
  let deps: NodeDeps;
  beforeAll(async () => {
    stack = await startTestStack({}, clock);
    deps = createNodeDeps(stack.config, clock);
  });
  afterAll(async () => {
    deps?.close();
    await stack?.close();
  });

  it('delivers a message once, with its subject, text and HTML, from the configured sender; the sent row keeps no body', async () => {
    const to = address('once');
    const sent = message(to, stack);
    const id = await enqueue(deps.db, sent, clock.now());
    expect(await deliverOutbox(deps, { ids: [id] })).toEqual({ sent: 1, failed: 0 });

    const [received] = await exactlyMail(stack.mailUrl, to, 1);
    expect(received).toMatchObject({ from: stack.config.mail?.from, to: [to], subject: sent.subject, text: sent.text, html: sent.html });
    expect(received?.text).toContain(`Open the portal:\n${stack.config.publicUrl}/`);
    expect(received?.text).toContain(stack.config.appName);
    expect(received?.html).toContain(`<a href="${stack.config.publicUrl}/"`);

    const row = await rowOf(stack, id);
    expect(row).toMatchObject({ attempts: 1, claimed_until: null, last_error: null, text_body: '', html_body: '' });
    expect(row.sent_at).toBeGreaterThan(0);
    // Sent is sent: another delivery, or the sweep, finds nothing to do.
    expect(await deliverOutbox(deps)).toEqual({ sent: 0, failed: 0 });
    expect((await sweepNow(stack, 3600, clock)).mailSent).toBe(0);
    await exactlyMail(stack.mailUrl, to, 1, 100);
  });

  it('escapes what it is given into the HTML, keeps it as written in the text, and links only into the service', async () => {
    const to = address('escape');
    const hostile = `Report <script>alert("x")</script> & <a href="https://evil.example">click</a>`;
    const rendered = renderMessage(
      {
        subject: 'Shared:\r\nBcc: someone@evil.example',
        paragraphs: [hostile],
        action: { label: 'Open "it" <now>', url: `${stack.config.publicUrl}/files?a=1&b=2` },
      },
      { ...stack.config, appName: 'Files & <Co>' },
    );
    const id = await enqueue(deps.db, { to, kind: 'test', ...rendered }, clock.now());
    await deliverOutbox(deps, { ids: [id] });
    const [received] = await exactlyMail(stack.mailUrl, to, 1, 100);
    expect(received?.subject).toBe('Shared: Bcc: someone@evil.example');
    expect(received?.html).not.toContain('<script>');
    expect(received?.html).not.toContain('https://evil.example"');
    expect(received?.html).toContain(
      'Report &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;a href=&quot;https://evil.example&quot;&gt;',
    );
    expect(received?.html).toContain(`href="${stack.config.publicUrl}/files?a=1&amp;b=2"`);
    expect(received?.html).toContain('Open &quot;it&quot; &lt;now&gt;');
    expect(received?.html).toContain('Files &amp; &lt;Co&gt;');
    expect(received?.text).toContain(hostile);

    for (const url of ['https://evil.example/', `${stack.config.publicUrl}.evil.example/`, 'javascript:alert(1)']) {
      expect(() => renderMessage({ subject: 's', paragraphs: ['p'], action: { label: 'x', url } }, stack.config)).toThrow(/PUBLIC_URL/);
    }
  });

  it('writes a message only with its event: in the same batch, both or neither', async () => {
    const to = address('batch');
    const id = newMessageId();
    const taken = uniqueName('taken');
    const user = (username: string) =>
      deps.db.insert(users).values({
        id: crypto.randomUUID(),
        username,
        email: `${username}@example.com`,
        passwordHash: 'x',
        role: 'client',
        tokensValidAfter: new Date(0),
        createdAt: new Date(0),
      });
    await user(taken);
    // The event fails (the username is taken): the message it would have caused is not written.
    await expect(deps.db.batch([outboxInsert(deps.db, { ...message(to, stack), id }, clock.now()), user(taken)])).rejects.toThrow();
    expect(await rowOf(stack, id)).toBeUndefined();
    // The event succeeds: so does its message.
    await deps.db.batch([user(uniqueName('fresh')), outboxInsert(deps.db, { ...message(to, stack), id }, clock.now())]);
    expect(await rowOf(stack, id)).toMatchObject({ attempts: 0, sent_at: null });
    await deliverOutbox(deps, { ids: [id] });
    await exactlyMail(stack.mailUrl, to, 1, 100);
  });

  it('with the mail server down: not sent, one attempt counted, retried after the backoff and delivered exactly once', async () => {
    const to = address('retry');
    await stack.stopMail();
    let id: string;
    try {
      id = await enqueue(deps.db, message(to, stack), clock.now());
      expect(await deliverOutbox(deps, { ids: [id] })).toEqual({ sent: 0, failed: 1 });
    } finally {
      await stack.restartMail();
    }
    const failed = await rowOf(stack, id);
    expect(failed).toMatchObject({ attempts: 1, sent_at: null, claimed_until: null, last_error: 'SES unreachable (ECONNREFUSED)' });
    // The first retry waits 30 s.
    expect(failed.next_attempt_at - clock.now().getTime()).toBeGreaterThan(25_000);
    expect(failed.next_attempt_at - clock.now().getTime()).toBeLessThanOrEqual(30_000);
    expect(failed.text_body).not.toBe('');

    // The server is back, but the delay has not passed: the sweep leaves the message alone.
    expect((await sweepNow(stack, 3600, clock)).mailSent).toBe(0);
    expect(await mailTo(stack.mailUrl, to)).toEqual([]);

    offsetMs += 31_000;
    const report = await sweepNow(stack, 3600, clock);
    expect(report).toMatchObject({ mailSent: 1, mailFailed: 0 });
    await exactlyMail(stack.mailUrl, to, 1);
    expect(await rowOf(stack, id)).toMatchObject({ attempts: 2, claimed_until: null, last_error: null });
    expect((await sweepNow(stack, 3600, clock)).mailSent).toBe(0);
    await exactlyMail(stack.mailUrl, to, 1, 100);
  });

  it('backs off exponentially, up to an hour, while SES keeps refusing', async () => {
    const to = address('backoff');
    // No sender: the local server refuses the message (400), as SES refuses what it cannot send.
    const refusing = createSesMailer({ ...(stack.config.mail as NonNullable<typeof stack.config.mail>), from: '' });
    const id = await enqueue(deps.db, message(to, stack), clock.now());
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      expect(await deliverOutbox({ ...deps, mailer: refusing, log: () => undefined }, { ids: [id] })).toEqual({ sent: 0, failed: 1 });
      const row = await rowOf(stack, id);
      delays.push(Math.round((row.next_attempt_at - clock.now().getTime()) / 1000));
      expect(row.last_error).toBe('SES answered 400');
      offsetMs += (delays.at(-1) ?? 0) * 1000 + 1000;
    }
    expect(delays).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    expect(await deliverOutbox(deps, { ids: [id] })).toEqual({ sent: 1, failed: 0 });
    await exactlyMail(stack.mailUrl, to, 1);
  });

  it('two deliveries at once (two connections, as two processes) send each message once', async () => {
    const recipients = Array.from({ length: 12 }, (_, i) => address(`race${i}`));
    for (const to of recipients) await enqueue(deps.db, message(to, stack), clock.now());
    const other = createNodeDeps(stack.config, clock);
    const third = createNodeDeps(stack.config, clock);
    try {
      const reports = await Promise.all([
        deliverOutbox(deps, { limit: 5 }),
        deliverOutbox(other, { limit: 5 }),
        deliverOutbox(third, { limit: 5 }),
      ]);
      expect(reports.reduce((n, r) => n + r.failed, 0)).toBe(0);
      // Each claimed its own share: at least two of them sent some.
      expect(reports.filter((r) => r.sent > 0).length).toBeGreaterThanOrEqual(2);
      const first = reports.reduce((n, r) => n + r.sent, 0);
      const rest = await deliverOutbox(deps);
      expect(first + rest.sent).toBe(12);
    } finally {
      other.close();
      third.close();
    }
    for (const to of recipients) await exactlyMail(stack.mailUrl, to, 1, 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const to of recipients) expect(await mailTo(stack.mailUrl, to)).toHaveLength(1);
  });

  it('a claim keeps a message from every other delivery until it runs out (a process that died after claiming)', async () => {
    const to = address('claimed');
    const id = await enqueue(deps.db, message(to, stack), clock.now());
    expect((await claimQuery(deps.db, clock.now(), { ids: [id] })).map((r) => r.id)).toEqual([id]);
    expect(await deliverOutbox(deps, { ids: [id] })).toEqual({ sent: 0, failed: 0 });
    expect(await deliverOutbox(deps)).toEqual({ sent: 0, failed: 0 });
    offsetMs += (CLAIM_SECONDS + 1) * 1000;
    expect(await deliverOutbox(deps)).toEqual({ sent: 1, failed: 0 });
    await exactlyMail(stack.mailUrl, to, 1);
  });

  it('delivers after the response: the work is tracked, its failure is logged, and stopping waits for it', async () => {
    const to = address('after');
    const id = await enqueue(deps.db, message(to, stack), clock.now());
    deliverAfterResponse(deps, [id]);
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
    try {
      deps.afterResponse(Promise.reject(new Error('the database went away')));
      await deps.settled();
    } finally {
      spy.mockRestore();
    }
    expect((await rowOf(stack, id)).sent_at).not.toBeNull();
    await exactlyMail(stack.mailUrl, to, 1, 100);
    expect(lines.map((l) => JSON.parse(l) as { event: string })).toEqual([expect.objectContaining({ event: 'after_response_failed' })]);
  });

  it('logs which message went or failed, never its recipient, subject, body or link', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
    const verbose = createNodeDeps({ ...stack.config, logLevel: 'info' }, clock);
    const to = address('logged');
    const token = crypto.randomUUID();
    const secret = renderMessage(
      {
        subject: `Reset for ${to}`,
        paragraphs: ['Someone asked to reset your password.'],
        action: { label: 'Reset it', url: `${stack.config.publicUrl}/reset#${token}` },
      },
      stack.config,
    );
    try {
      const ok = await enqueue(verbose.db, { to, kind: 'password_reset', ...secret }, clock.now());
      await deliverOutbox(verbose, { ids: [ok] });
      await stack.stopMail();
      const failing = await enqueue(verbose.db, { to, kind: 'password_reset', ...secret }, clock.now());
      await deliverOutbox(verbose, { ids: [failing] });
    } finally {
      await stack.restartMail();
      spy.mockRestore();
      verbose.close();
    }
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e.event)).toEqual(['mail_sent', 'mail_failed']);
    expect(events[0]).toMatchObject({ kind: 'password_reset', id: expect.any(String) });
    expect(events[1]).toMatchObject({ kind: 'password_reset', attempts: 1, error: 'SES unreachable (ECONNREFUSED)' });
    const log = lines.join('\n');
    for (const leak of [to, token, 'reset#', secret.subject, 'Someone asked', stack.config.mail?.secretAccessKey ?? '?', stack.mailUrl])
      expect(log).not.toContain(leak);
    // The failed one goes once the delay has passed.
    offsetMs += 31_000;
    await sweepNow(stack, 3600, clock);
    await exactlyMail(stack.mailUrl, to, 2);
  });

  it('the local SES server refuses unsigned requests, so what it accepts proves the transport signs', async () => {
    const to = address('unsigned');
    const body = JSON.stringify({
      FromEmailAddress: 'no-reply@localhost',
      Destination: { ToAddresses: [to] },
      Content: { Simple: { Subject: { Data: 'unsigned' }, Body: { Text: { Data: 'unsigned' } } } },
    });
    const unsigned = await fetch(`${stack.mailUrl}/v2/email/outbound-emails`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(unsigned.status).toBe(403);
    // The control: the same server takes the transport's signed request.
    await createSesMailer(stack.config.mail as NonNullable<typeof stack.config.mail>).send({
      to,
      subject: 'signed',
      text: 'signed',
      html: '<p>signed</p>',
    });
    const received = await exactlyMail(stack.mailUrl, to, 1, 100);
    expect(received.map((m) => m.subject)).toEqual(['signed']);
  });

  it('production refuses to start without the mail settings, naming each and showing none', () => {
    const env = {
      ENVIRONMENT: 'production',
      PUBLIC_URL: 'https://files.example.com',
      DATABASE_URL: stack.databaseUrl,
      S3_ENDPOINT: 'https://storage.example.com',
      S3_ACCESS_KEY_ID: stack.secrets.storageAccessKeyId,
      S3_SECRET_ACCESS_KEY: stack.secrets.storageSecretAccessKey,
      JWT_SECRET: stack.secrets.jwtSecret,
      LINK_SECRET: stack.secrets.linkSecret,
    };
    let error: unknown;
    try {
      createNodeDeps(loadConfig(env));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'MAIL_FROM is missing',
      'SES_REGION is missing',
      'SES_ACCESS_KEY_ID is missing',
      'SES_SECRET_ACCESS_KEY is missing',
    ]);
    expect(() =>
      loadConfig({
        ...env,
        MAIL_FROM: 'no-reply@files.example.com',
        SES_REGION: 'eu-west-1',
        SES_ACCESS_KEY_ID: 'id',
        SES_SECRET_ACCESS_KEY: 'key',
      }),
    ).not.toThrow();
  });
});

describe('the sweep delivers what is due (the cron handler in workerd, npm run sweep on Node)', () => {
  let stack: ApiStack;
  useStack(startApiStack, (s) => {
    stack = s;
  });
  /** One sweep, as the platform runs it: the worker's cron handler, or the sweep on the stack's database. */
  const sweepOnce = async () => {
    if (stack.runScheduled) await stack.runScheduled();
    else await sweepNow(stack, 3600);
  };
  const db = () => createDatabase(stack.sql);

  it('sends a queued message once, and again nothing on the next run', async () => {
    const to = address('cron');
    const id = await enqueue(db(), message(to, stack), new Date());
    await sweepOnce();
    const [received] = await exactlyMail(stack.mailUrl, to, 1);
    expect(received?.from).toBe('Secure File Share <no-reply@localhost>');
    await expect.poll(async () => (await rowOf(stack, id)).sent_at, { timeout: 10_000 }).not.toBeNull();
    await sweepOnce();
    await exactlyMail(stack.mailUrl, to, 1);
  });

  it('with the mail server down: one failed attempt, the delay respected, then delivered exactly once', async () => {
    const to = address('cron-retry');
    await stack.stopMail();
    let id: string;
    try {
      id = await enqueue(db(), message(to, stack), new Date());
      await sweepOnce();
      await expect.poll(async () => (await rowOf(stack, id)).attempts, { timeout: 10_000 }).toBe(1);
    } finally {
      await stack.restartMail();
    }
    expect(await rowOf(stack, id)).toMatchObject({
      sent_at: null,
      claimed_until: null,
      last_error: expect.stringMatching(/^SES unreachable/),
    });
    // Not yet due: the next run leaves it alone.
    await sweepOnce();
    await exactlyMail(stack.mailUrl, to, 0);
    expect((await rowOf(stack, id)).attempts).toBe(1);
    // The delay has passed (this clock cannot be moved, so the row is).
    await stack.sql.execute({ sql: 'update outbox set next_attempt_at = ? where id = ?', args: [Date.now() - 1000, id] });
    await sweepOnce();
    await exactlyMail(stack.mailUrl, to, 1);
    await expect.poll(async () => (await rowOf(stack, id)).attempts, { timeout: 10_000 }).toBe(2);
  });
});
