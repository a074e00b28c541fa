import bcrypt from 'bcryptjs';

/** bcrypt compares only the first 72 bytes; longer passwords are refused rather than truncated. */
export const PASSWORD_MAX_BYTES = 72;
export const PASSWORD_MIN_CHARS = 8;

export const utf8Length = (value: string) => new TextEncoder().encode(value).length;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /**
   * Spends the same time as a real verification and always fails: used when the account does not
   * exist, so timing does not reveal which usernames are registered.
   */
  verifyAgainstNobody(password: string): Promise<false>;
  /**
   * True when the hash was made at another cost than the configured one. Login then rehashes, so
   * every stored hash converges on one cost and timing cannot tell accounts apart by theirs.
   */
  needsRehash(hash: string): boolean;
}

export function createPasswordHasher(cost: number): PasswordHasher {
  if (!Number.isInteger(cost) || cost < 10) throw new Error('bcrypt cost must be at least 10');
  // Computed up front, so even the first unknown-user login costs exactly one compare. A string,
  // not a promise: on Workers a promise made in one request must not be awaited by another.
  const dummyHash = bcrypt.hashSync(crypto.randomUUID(), cost);
  return {
    hash: (password) => bcrypt.hash(password, cost),
    verify: (password, hash) => bcrypt.compare(password, hash),
    needsRehash(hash) {
      try {
        return bcrypt.getRounds(hash) !== cost;
      } catch {
        return true;
      }
    },
    async verifyAgainstNobody(password) {
      await bcrypt.compare(password, dummyHash);
      return false;
    },
  };
}
