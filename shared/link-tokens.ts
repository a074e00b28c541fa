import { EncryptJWT, errors, jwtDecrypt } from 'jose';

/**
 * Download link tokens: JWE, direct encryption with AES-256-GCM under the link key, so whoever
 * sees a link learns nothing from it (no file id, no user id, no storage key). Each names one
 * file and one client and expires. Its `typ` differs from access tokens', and it is decrypted,
 * never merely verified, so neither kind can stand in for the other.
 *
 * The key is derived from LINK_SECRET with HKDF-SHA256, so a secret of any encoding yields
 * exactly the 256 bits A256GCM needs, and the key is used for nothing else.
 */
export const LINK_TOKEN_TYP = 'dl+jwt';
const ISSUER = 'secure-file-share/download-link';

export interface LinkClaims {
  fileId: string;
  clientId: string;
  expiresAt: Date;
}

export type LinkReading =
  | { status: 'valid'; claims: LinkClaims }
  /** Authentic, but past its expiry: the caller may learn that (410), if it is the right client. */
  | { status: 'expired'; claims: LinkClaims }
  /** Tampered, truncated, made with another key, or not a link at all. */
  | { status: 'invalid' };

export interface LinkTokens {
  issue(input: { fileId: string; clientId: string; now: Date }): Promise<{ token: string; expiresAt: Date }>;
  read(token: string, now: Date): Promise<LinkReading>;
}

export async function deriveLinkKey(secret: string): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: new TextEncoder().encode('secure-file-share'),
      info: new TextEncoder().encode('download-link/A256GCM/v1'),
    },
    material,
    256,
  );
  return new Uint8Array(bits);
}

export function createLinkTokens(options: { secret: string; ttlSeconds: number }): LinkTokens {
  // Derived and imported once, and cached as a value, never as a shared promise: on Workers a
  // promise made in one request must not be awaited by another. Two first requests may each
  // derive it; the result is the same. As a CryptoKey, jose does not import it on every call.
  let derived: CryptoKey | undefined;
  const key = async () =>
    (derived ??= await crypto.subtle.importKey('raw', (await deriveLinkKey(options.secret)) as Uint8Array<ArrayBuffer>, 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]));
  const claimsOf = (payload: Record<string, unknown>): LinkClaims | null =>
    typeof payload.fid === 'string' && typeof payload.sub === 'string' && typeof payload.exp === 'number'
      ? { fileId: payload.fid, clientId: payload.sub, expiresAt: new Date(payload.exp * 1000) }
      : null;

  return {
    async issue({ fileId, clientId, now }) {
      const exp = Math.floor(now.getTime() / 1000) + options.ttlSeconds;
      const token = await new EncryptJWT({ fid: fileId })
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', typ: LINK_TOKEN_TYP })
        .setSubject(clientId)
        .setIssuer(ISSUER)
        .setIssuedAt(Math.floor(now.getTime() / 1000))
        .setExpirationTime(exp)
        .setJti(crypto.randomUUID())
        .encrypt(await key());
      return { token, expiresAt: new Date(exp * 1000) };
    },

    async read(token, now) {
      try {
        const { payload } = await jwtDecrypt(token, await key(), {
          keyManagementAlgorithms: ['dir'],
          contentEncryptionAlgorithms: ['A256GCM'],
          typ: LINK_TOKEN_TYP,
          issuer: ISSUER,
          requiredClaims: ['sub', 'exp', 'jti'],
          currentDate: now,
        });
        const claims = claimsOf(payload);
        return claims ? { status: 'valid', claims } : { status: 'invalid' };
      } catch (error) {
        if (error instanceof errors.JWTExpired) {
          const claims = claimsOf(error.payload);
          return claims ? { status: 'expired', claims } : { status: 'invalid' };
        }
        if (error instanceof errors.JOSEError || error instanceof TypeError || error instanceof SyntaxError) return { status: 'invalid' };
        throw error;
      }
    },
  };
}
