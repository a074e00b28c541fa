import { AwsClient } from 'aws4fetch';
import type { MailConfig } from './config';

/**
 * Mail, sent through Amazon SES's v2 HTTP API and signed (SigV4) by aws4fetch: fetch and Web
 * Crypto only, so the same code sends from Node and from Workers, where SMTP would need sockets.
 * Nothing here retries or queues: the outbox (shared/outbox.ts) decides when a message goes.
 */

export interface MailMessage {
  /** One address. */
  to: string;
  /** One line. */
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  /** Resolves once SES has accepted the message; throws a MailError otherwise. */
  send(message: MailMessage): Promise<void>;
}

/**
 * A message that did not go. Its message is short and safe to store and log: the status SES
 * answered and its error type (a name such as MessageRejected), never SES's own text, which may
 * quote the addresses, and never a credential.
 */
export class MailError extends Error {
  /** The HTTP status SES answered; undefined when it could not be reached or was never asked. */
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MailError';
    this.status = status;
  }
}

/** The longest a send may take before it counts as failed: the outbox's claim outlasts it. */
export const SEND_TIMEOUT_MS = 10_000;

/** An address SES takes as one recipient: no display name, no list, no line break. */
const ADDRESS = /^[^\s<>@,;"]+@[^\s<>@,;"]+$/;

export function createSesMailer(config: MailConfig, options: { fetch?: typeof fetch; timeoutMs?: number } = {}): Mailer {
  const aws = new AwsClient({
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    service: 'ses',
    region: config.region,
  });
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? SEND_TIMEOUT_MS;
  const url = `${config.endpoint}/v2/email/outbound-emails`;

  return {
    async send(message) {
      if (!ADDRESS.test(message.to)) throw new MailError('the recipient is not one address');
      if (/[\r\n]/.test(message.subject)) throw new MailError('the subject is more than one line');
      const body = JSON.stringify({
        FromEmailAddress: config.from,
        Destination: { ToAddresses: [message.to] },
        Content: {
          Simple: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: message.text, Charset: 'UTF-8' }, Html: { Data: message.html, Charset: 'UTF-8' } },
          },
        },
      });
      let res: Response;
      try {
        // Said explicitly: SES (and its local stand-in) reads the body only as application/json.
        const signed = await aws.sign(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        res = await doFetch(signed, { signal: AbortSignal.timeout(timeoutMs) });
      } catch (error) {
        const code = (error as { cause?: { code?: unknown } }).cause?.code;
        const why = error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : typeof code === 'string' ? code : 'failed';
        throw new MailError(`SES unreachable (${why})`, undefined, { cause: error });
      }
      await res.body?.cancel();
      if (res.ok) return;
      // The error type is a name (x-amzn-ErrorType: MessageRejected:http://…); SES's message is not kept.
      const type = /^[A-Za-z]+/.exec(res.headers.get('x-amzn-errortype') ?? '')?.[0];
      throw new MailError(`SES answered ${res.status}${type ? ` (${type})` : ''}`, res.status);
    },
  };
}

/** Outside production mail may be left unconfigured: every message then waits in the outbox. */
export const unconfiguredMailer: Mailer = {
  async send() {
    throw new MailError('mail is not configured');
  },
};

export const createMailer = (config: MailConfig | undefined): Mailer => (config ? createSesMailer(config) : unconfiguredMailer);
