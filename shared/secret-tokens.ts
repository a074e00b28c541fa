/**
 * Random secrets handed to a person or a device (refresh tokens, invitation, reset and
 * verification links): 256 bits from the platform's CSPRNG, base64url, with a short prefix that
 * says what each is for. Only their SHA-256 is stored, so a copy of the database lets no one use
 * them; a SHA-256 is enough (no bcrypt) because the value is random, not chosen by a person.
 */
export type SecretKind = 'rt' | 'inv' | 'pwr' | 'eml';

const bytesToBase64url = (bytes: Uint8Array) => {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

export function newSecret(kind: SecretKind): string {
  return `${kind}_${bytesToBase64url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** The shape every secret of that kind has: anything else is refused before any lookup. */
export const secretPattern = (kind: SecretKind) => new RegExp(`^${kind}_[A-Za-z0-9_-]{43}$`);

export async function hashSecret(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}
