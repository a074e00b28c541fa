import type { User } from './api';

/**
 * The portal's sign-in, held in memory only: the access token (short-lived) and the user it
 * belongs to. Nothing of it is written anywhere page script could read it back later; what keeps
 * a session going across reloads is the refresh cookie, which is HttpOnly (see api.ts `restore`).
 *
 * Every tab of this origin shares the one refresh cookie, so they are one session: a tab that
 * refreshes or signs in tells the others (BroadcastChannel), and a tab that signs out does too.
 */
export interface SessionState {
  token: string | null;
  user: User | null;
  /** Why there is no session, for the sign-in screen to say. */
  ended?: 'expired' | 'signed_out' | undefined;
}

let state: SessionState = { token: null, user: null };
const listeners = new Set<() => void>();
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('sfs-session') : null;

function apply(next: SessionState) {
  state = next;
  for (const listener of listeners) listener();
}

channel?.addEventListener('message', (e: MessageEvent<SessionState>) => {
  const next = e.data;
  // Another tab signed out, or the session ended there: this tab's is over too.
  if (!next.token) return state.token ? apply({ token: null, user: null, ended: next.ended ?? 'signed_out' }) : undefined;
  apply({ token: next.token, user: next.user });
});

export const session = {
  get token() {
    return state.token;
  },
  get user() {
    return state.user;
  },
  get ended() {
    return state.ended;
  },
  /** A new access token (and its user), or none; told to the other tabs unless `quietly`. */
  set(next: SessionState, options: { quietly?: boolean } = {}) {
    apply(next);
    if (!options.quietly) channel?.postMessage(next);
  },
  /** The same session, with the user as the API now describes it (a new status, say); told to the other tabs. */
  setUser(user: User) {
    if (state.token) session.set({ token: state.token, user });
  },
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  },
};
