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
/** How many verified tokens an instance remembers (about 1 KiB each). */
const VERIFIED_CACHE_SIZE = 2048;

export interface AccessTokenClaims {
  userId: string;
  role: Role;
  /** The session the token belongs to: signing out of it ends the token too. */
  sessionId: string;
  issuedAt: Date;
}

export interface AccessTokenIssuer {
  issue(user: { id: string; role: Role }, sessionId: string, now: Date): Promise<{ token: string; expiresIn: number }>;
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
  // Never older than the lifetime we issue, whatever its exp says, and never from the future
  // (beyond clock skew between instances). Checked in ms: jose's maxTokenAge floors "now".
  const isCurrent = (issuedAt: Date, expiresAt: Date, now: Date) => {
    const ageSeconds = (now.getTime() - issuedAt.getTime()) / 1000;
    return now < expiresAt && ageSeconds <= options.ttlSeconds && ageSeconds >= -CLOCK_SKEW_SECONDS;
  };
  /*
   * Tokens whose signature and claims were verified, by their exact text: a client sends the same
   * token on every request for its lifetime, and the HMAC and the claims parse are then skipped.
   * Only a token that passed every check is kept, its expiry and age are checked again on every
   * use, and revocation is never cached (the guard reads the user on every request). Bounded, and
   * the oldest entry goes first. Per process or isolate: nothing is shared or persisted.
   */
  const verified = new Map<string, { claims: AccessTokenClaims; expiresAt: Date }>();
  const remember = (token: string, entry: { claims: AccessTokenClaims; expiresAt: Date }) => {
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value as string);
    verified.set(token, entry);
  };
  return {
    async issue(user, sessionId, now) {
      const iat = now.getTime() / 1000;
      const token = await new SignJWT({ role: user.role, sid: sessionId })
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
      const known = verified.get(token);
      if (known) {
        if (isCurrent(known.claims.issuedAt, known.expiresAt, now)) return known.claims;
        verified.delete(token);
        return null;
      }
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
          typeof payload.sid !== 'string' ||
          (role !== 'ops' && role !== 'client') ||
          typeof payload.iat !== 'number' ||
          !Number.isFinite(payload.iat)
        ) {
          return null;
        }
        const claims: AccessTokenClaims = {
          userId: payload.sub,
          role: role as Role,
          sessionId: payload.sid as string,
          issuedAt: new Date(payload.iat * 1000),
        };
        const expiresAt = new Date((payload.exp as number) * 1000);
        if (!isCurrent(claims.issuedAt, expiresAt, now)) return null;
        remember(token, { claims, expiresAt });
        return claims;
      } catch (error) {
        if (error instanceof errors.JOSEError) return null;
        throw error;
      }
    },
  };
}
