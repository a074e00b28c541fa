import type { Config } from './config';

/**
 * The one look of every message: paragraphs, an optional button-like link, and a footer naming
 * the product and its address. Plain text and simple HTML with the same words, so a reader that
 * shows either misses nothing. Everything given is text: it is escaped into the HTML, never read
 * as markup, so a filename or a name a user typed cannot add a link or a tag.
 */

export interface MessageContent {
  subject: string;
  paragraphs: string[];
  /** The one thing the reader can do; its URL must lead into the service (PUBLIC_URL). */
  action?: { label: string; url: string };
}

export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);

export function renderMessage(content: MessageContent, brand: Pick<Config, 'appName' | 'publicUrl'>): RenderedMessage {
  const { appName, publicUrl } = brand;
  const action = content.action;
  // A message from the service only ever sends its reader back to the service.
  if (action && !(action.url === publicUrl || action.url.startsWith(`${publicUrl}/`))) {
    throw new Error('A message may only link into the service (PUBLIC_URL).');
  }
  // Subjects are one line: a line break would end the header in some mail paths.
  const subject = content.subject.replace(/[\r\n]+/g, ' ').trim();
  const paragraphs = content.paragraphs.map((p) => p.trim()).filter(Boolean);

  const text = [...paragraphs, ...(action ? [`${action.label}:\n${action.url}`] : []), `-- \n${appName}\n${publicUrl}/`].join('\n\n');

  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:24px;background:#f6f7f9;font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d232b;line-height:1.5">
<div style="max-width:560px;margin:0 auto;background:#fff;border-radius:8px;padding:24px">
${paragraphs.map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`).join('\n')}
${
  action
    ? `<p><a href="${escapeHtml(action.url)}" style="display:inline-block;padding:10px 18px;background:#1f5fbf;color:#fff;text-decoration:none;border-radius:6px">${escapeHtml(action.label)}</a></p>
<p style="font-size:13px;color:#555">Or open this address: ${escapeHtml(action.url)}</p>`
    : ''
}
<p style="font-size:13px;color:#555;border-top:1px solid #e3e6ea;padding-top:12px">${escapeHtml(appName)} &middot; <a href="${escapeHtml(publicUrl)}/" style="color:#555">${escapeHtml(publicUrl)}/</a></p>
</div>
</body>
</html>
`;
  return { subject, text, html };
}
