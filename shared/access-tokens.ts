import { errors, jwtVerify, SignJWT } from 'jose';
import type { Role } from './db/schema';

/**
 * Access tokens: HS256 JWTs, the algorithm pinned on both sides, with iss/aud/exp/iat/jti and an
 * explicit `typ` (RFC 9068) so no other token of this service can pass as one.
 *
 * `iat` keeps millisecond precision (RFC 7519 allows a fractional NumericDate) so that logout,
 * which revokes everything issued before "now", never spares a token from the same second nor
 * kills one issued just after.
 */
export const ACCESS_TOKEN_ALG = 'HS256';
export const ACCESS_TOKEN_TYP = 'at+jwt';
const CLOCK_SKEW_SECONDS = 5;

export interface AccessTokenClaims {
  userId: string;
  role: Role;
  issuedAt: Date;
}

export interface AccessTokenIssuer {
  issue(user: { id: string; role: Role }, now: Date): Promise<{ token: string; expiresIn: number }>;
  /** Returns the claims, or null for any token that is not a valid, current access token. */
  verify(token: string, now: Date): Promise<AccessTokenClaims | null>;
}

export function createAccessTokens(options: { secret: string; issuer: string; audience: string; ttlSeconds: number }): AccessTokenIssuer {
  const secret = new TextEncoder().encode(options.secret);
  // Imported once and kept as a value (never as a pending promise, which workerd would not let
  // another request await): jose would otherwise import the raw secret on every call.
  let cryptoKey: CryptoKey | undefined;
  const key = async () => {
    cryptoKey ??= await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    return cryptoKey;
  };
  return {
    async issue(user, now) {
      const iat = now.getTime() / 1000;
      const token = await new SignJWT({ role: user.role })
        .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, typ: ACCESS_TOKEN_TYP })
        .setSubject(user.id)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt(iat)
        .setExpirationTime(Math.floor(iat) + options.ttlSeconds)
        .setJti(crypto.randomUUID())
        .sign(await key());
      return { token, expiresIn: options.ttlSeconds };
    },
    async verify(token, now) {
      try {
        const { payload } = await jwtVerify(token, await key(), {
          algorithms: [ACCESS_TOKEN_ALG],
          typ: ACCESS_TOKEN_TYP,
          issuer: options.issuer,
          audience: options.audience,
          requiredClaims: ['sub', 'iat', 'exp', 'jti'],
          currentDate: now,
        });
        const role = payload.role;
        if (
          typeof payload.sub !== 'string' ||
          (role !== 'ops' && role !== 'client') ||
          typeof payload.iat !== 'number' ||
          !Number.isFinite(payload.iat)
        ) {
          return null;
        }
        // Never older than the lifetime we issue, whatever its exp says, and never from the future
        // (beyond clock skew between instances). Checked here in ms: jose's maxTokenAge floors "now".
        const ageSeconds = now.getTime() / 1000 - payload.iat;
        if (ageSeconds > options.ttlSeconds || ageSeconds < -CLOCK_SKEW_SECONDS) return null;
        return { userId: payload.sub, role, issuedAt: new Date(payload.iat * 1000) };
      } catch (error) {
        if (error instanceof errors.JOSEError) return null;
        throw error;
      }
    },
  };
}
