/**
 * The portal's sign-in: the access token lives in memory and in this tab's sessionStorage (gone
 * when the tab closes): never in localStorage, never in a cookie.
 */
const TOKEN_KEY = 'sfs.accessToken';
let token: string | null = sessionStorage.getItem(TOKEN_KEY);
const listeners = new Set<() => void>();

export const session = {
  get token() {
    return token;
  },
  set(value: string | null) {
    token = value;
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
    for (const listener of listeners) listener();
  },
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
