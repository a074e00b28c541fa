/**
 * What the local SES server (aws-ses-v2-local) received, read back from its `/store` endpoint:
 * the messages as the service sent them, after signing and the real HTTP request. Each test
 * writes to addresses no other test uses, so a store shared by a process's servers is no matter.
 */

export interface DeliveredMail {
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  text: string | undefined;
  html: string | undefined;
  /** Unix seconds, as the server stamped it. */
  at: number;
}

interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

/** Every message the server holds for `address` (case-insensitive), oldest first. */
export async function mailTo(mailUrl: string, address: string): Promise<DeliveredMail[]> {
  const res = await fetch(`${mailUrl}/store`);
  if (!res.ok) throw new Error(`the mail store answered ${res.status}`);
  const { emails } = (await res.json()) as { emails: StoredEmail[] };
  const wanted = address.toLowerCase();
  return emails
    .filter((e) => e.destination.to.some((to) => to.toLowerCase() === wanted))
    .map((e) => ({
      messageId: e.messageId,
      from: e.from,
      to: e.destination.to,
      subject: e.subject,
      text: e.body.text,
      html: e.body.html,
      at: e.at,
    }));
}

/** Waits until `count` messages to `address` have arrived, and returns them; fails after `timeoutMs`. */
export async function waitForMail(mailUrl: string, address: string, options: { count?: number; timeoutMs?: number } = {}) {
  const count = options.count ?? 1;
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const messages = await mailTo(mailUrl, address);
    if (messages.length >= count) return messages;
    if (Date.now() > deadline) throw new Error(`${messages.length} of ${count} message(s) to ${address} arrived in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Exactly `count` messages to `address`: waits for them, then a moment longer, so a duplicate
 * on its way would be seen too.
 */
export async function exactlyMail(mailUrl: string, address: string, count: number, quietMs = 500): Promise<DeliveredMail[]> {
  if (count > 0) await waitForMail(mailUrl, address, { count });
  await new Promise((resolve) => setTimeout(resolve, quietMs));
  const messages = await mailTo(mailUrl, address);
  if (messages.length !== count) throw new Error(`${messages.length} message(s) to ${address}, expected exactly ${count}`);
  return messages;
}
