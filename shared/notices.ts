import type { Config } from './config';
import type { Role } from './db/schema';
import { renderMessage } from './mail-render';
import type { OutboxMessage } from './outbox';

/**
 * The words of every account email, in one place. Each builds an outbox message; the caller
 * writes it in the same batch as the event. One-time tokens travel only in the fragment of a
 * portal link (`/#/…`), which browsers never send to a server, so no server, proxy or log sees
 * them. No message ever carries a password, an access token or a presigned URL.
 */
type Brand = Pick<Config, 'appName' | 'publicUrl'>;

const message = (kind: string, to: string, brand: Brand, content: Parameters<typeof renderMessage>[0]): OutboxMessage => ({
  kind,
  to,
  ...renderMessage(content, brand),
});

const when = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

export const invitationNotice = (
  brand: Brand,
  input: { email: string; token: string; role: Role; inviter: string; expiresAt: Date },
): OutboxMessage =>
  message('invitation', input.email, brand, {
    subject: `You are invited to ${brand.appName}`,
    paragraphs: [
      `${input.inviter} has invited you to ${brand.appName}${input.role === 'ops' ? ' as a member of the operations team' : ''}, where documents are shared with you securely.`,
      `The invitation is for ${input.email} and can be used once, until ${when(input.expiresAt)}. If you did not expect it, ignore this message.`,
    ],
    action: { label: 'Create your account', url: `${brand.publicUrl}/#/invitation/${input.token}` },
  });

export const approvalRequestNotice = (brand: Brand, to: string, applicant: { username: string; email: string }): OutboxMessage =>
  message('approval_request', to, brand, {
    subject: `${applicant.username} is waiting for approval`,
    paragraphs: [
      `Someone signed up to ${brand.appName} as ${applicant.username} (${applicant.email}).`,
      'The account sees no file until ops approve it. If you do not know who this is, leave it pending or disable it.',
    ],
    action: { label: 'Review pending accounts', url: `${brand.publicUrl}/#/users?status=pending` },
  });

export const approvedNotice = (brand: Brand, user: { username: string; email: string }): OutboxMessage =>
  message('account_approved', user.email, brand, {
    subject: `Your ${brand.appName} account is ready`,
    paragraphs: [`Your account ${user.username} has been approved. Documents shared with you now appear when you sign in.`],
    action: { label: 'Sign in', url: `${brand.publicUrl}/` },
  });

export const verificationNotice = (brand: Brand, user: { username: string; email: string }, token: string): OutboxMessage =>
  message('email_verification', user.email, brand, {
    subject: `Confirm your email for ${brand.appName}`,
    paragraphs: [
      `Someone signed up to ${brand.appName} as ${user.username} with this address. Confirm it is yours to start receiving documents.`,
      'The link works once, for 48 hours. If this was not you, ignore this message.',
    ],
    action: { label: 'Confirm my email', url: `${brand.publicUrl}/#/verify-email/${token}` },
  });

export const resetNotice = (brand: Brand, user: { username: string; email: string }, token: string): OutboxMessage =>
  message('password_reset', user.email, brand, {
    subject: `Reset your ${brand.appName} password`,
    paragraphs: [
      `Someone asked to reset the password of ${user.username}. The link works once, for 30 minutes, and signs out every device.`,
      'If this was not you, ignore this message: your password stays as it is.',
    ],
    action: { label: 'Choose a new password', url: `${brand.publicUrl}/#/reset-password/${token}` },
  });

export const passwordChangedNotice = (brand: Brand, user: { username: string; email: string }, how: 'changed' | 'reset'): OutboxMessage =>
  message('password_changed', user.email, brand, {
    subject: `Your ${brand.appName} password was ${how}`,
    paragraphs: [
      `The password of ${user.username} was ${how}${how === 'reset' ? ' through a link sent to this address, and every device was signed out' : ', and your other devices were signed out'}.`,
      'If this was not you, reset your password now and tell the people who run this service.',
    ],
    action: { label: 'Open your account', url: `${brand.publicUrl}/#/account` },
  });

/** The most files one message names; the rest are counted. */
const NAMED_FILES = 20;

/**
 * Files shared with a client, gathered over a few minutes into one message. It names them and
 * leads to the portal, never to a file: a download needs the client signed in.
 */
export const sharedFilesNotice = (brand: Brand, user: { username: string; email: string }, filenames: string[]): OutboxMessage => {
  const named = filenames.slice(0, NAMED_FILES);
  const more = filenames.length - named.length;
  const one = filenames.length === 1;
  return message('files_shared', user.email, brand, {
    subject: one ? `A document was shared with you: ${filenames[0]}` : `${filenames.length} documents were shared with you`,
    paragraphs: [
      `${one ? 'A document has' : `${filenames.length} documents have`} been shared with ${user.username} on ${brand.appName}:`,
      [...named.map((name) => `- ${name}`), ...(more > 0 ? [`and ${more} more`] : [])].join('\n'),
      `Sign in to see ${one ? 'it' : 'them'} and download. You can turn these emails off on your account page.`,
    ],
    action: { label: 'Open your documents', url: `${brand.publicUrl}/` },
  });
};
