import type { InferResponseType } from 'hono/client';
import { useEffect, useState } from 'preact/hooks';
import { call, client, messageOf, type User, WITH_COOKIE } from './api';
import { useSubmit } from './auth';
import { Field, FormError } from './field';
import { formatDate } from './format';
import { session } from './session';

type SessionItem = InferResponseType<typeof client.api.me.sessions.$get, 200>['items'][number];

/** Signs out of this session, or of every one, and goes back to sign-in. */
export async function signOut(everywhere = false): Promise<void> {
  await call(() =>
    everywhere ? client.api.auth['logout-all'].$post(undefined, WITH_COOKIE) : client.api.auth.logout.$post(undefined, WITH_COOKIE),
  ).catch(() => undefined);
  session.set({ token: null, user: null, ended: 'signed_out' });
  location.hash = '#/';
}

const BROWSERS: Array<[RegExp, string]> = [
  [/Edg\//, 'Edge'],
  [/OPR\//, 'Opera'],
  [/Firefox\//, 'Firefox'],
  [/Chrom(e|ium)\//, 'Chrome'],
  [/Safari\//, 'Safari'],
];
const SYSTEMS: Array<[RegExp, string]> = [
  [/Android/, 'Android'],
  [/iPhone|iPad/, 'iOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X/, 'macOS'],
  [/Linux/, 'Linux'],
];

/** "Chrome on Linux" from a user agent string, or the string itself when it names no familiar browser. */
export function describeAgent(agent: string): string {
  if (!agent) return 'An unknown browser or program';
  const browser = BROWSERS.find(([pattern]) => pattern.test(agent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(agent))?.[1];
  if (!browser) return agent.length > 60 ? `${agent.slice(0, 57)}…` : agent;
  return system ? `${browser} on ${system}` : browser;
}

function ChangePassword({ onChanged }: { onChanged: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState(false);
  const { error, busy, submit } = useSubmit(async () => {
    setDone(false);
    await call(() => client.api.me.password.$post({ json: { currentPassword: current, newPassword: next } }));
    setCurrent('');
    setNext('');
    setDone(true);
    onChanged();
  });
  const wrong = error?.code === 'wrong_password' ? error.message : error?.field('currentPassword');
  return (
    <form onSubmit={submit} aria-labelledby="password-title" class="panel">
      <h2 id="password-title">Change your password</h2>
      <Field
        name="current-password"
        label="Current password"
        type="password"
        autocomplete="current-password"
        value={current}
        onInput={setCurrent}
        error={wrong}
      />
      <Field
        name="new-password"
        label="New password (8 or more characters)"
        type="password"
        autocomplete="new-password"
        value={next}
        onInput={setNext}
        error={error?.field('newPassword')}
      />
      {error?.code !== 'wrong_password' && <FormError error={error} fields={['currentPassword', 'newPassword']} />}
      {done && <p role="status">Your password has been changed, and your other devices have been signed out.</p>}
      <button type="submit" disabled={busy}>
        Change password
      </button>
    </form>
  );
}

function Sessions({ version }: { version: number }) {
  const [items, setItems] = useState<SessionItem[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const load = () =>
    call(() => client.api.me.sessions.$get()).then(
      (r) => setItems(r.items),
      (e: unknown) => setMessage(messageOf(e)),
    );
  useEffect(() => {
    void load();
  }, [version]);

  const end = async (item: SessionItem) => {
    if (item.current) return signOut();
    setMessage(null);
    try {
      await call(() => client.api.me.sessions[':id'].$delete({ param: { id: encodeURIComponent(item.id) } }));
      setMessage(`Signed out ${describeAgent(item.userAgent)}.`);
    } catch (e) {
      setMessage(messageOf(e));
    }
    await load();
  };

  return (
    <section aria-labelledby="sessions-title" class="panel">
      <h2 id="sessions-title">Where you are signed in</h2>
      {message && <p role="status">{message}</p>}
      {items === null && !message && <p role="status">Loading…</p>}
      {items && (
        <ul class="sessions" aria-labelledby="sessions-title">
          {items.map((s) => (
            <li key={s.id} data-current={s.current ? 'true' : undefined}>
              <div>
                <strong>{describeAgent(s.userAgent)}</strong>
                {s.current && <span class="badge"> This device</span>}
                <br />
                <span class="meta">
                  Signed in {formatDate(s.createdAt)} · last active {formatDate(s.lastUsedAt)}
                </span>
              </div>
              <button
                type="button"
                onClick={() => end(s)}
                aria-label={
                  s.current ? 'Sign out on this device' : `Sign out ${describeAgent(s.userAgent)}, last active ${formatDate(s.lastUsedAt)}`
                }
              >
                Sign out
              </button>
            </li>
          ))}
        </ul>
      )}
      <p>Lost a device, or signed in somewhere you should not have? End every session at once, this one included.</p>
      <button type="button" class="danger" onClick={() => signOut(true)}>
        Sign out everywhere
      </button>
    </section>
  );
}

/** `#/account`: who you are, your password, and where you are signed in. */
export function Account({ user }: { user: User }) {
  const [version, setVersion] = useState(0);
  return (
    <section aria-labelledby="account-title" class="narrow">
      <h1 id="account-title">Your account</h1>
      <dl class="facts">
        <dt>Username</dt>
        <dd>{user.username}</dd>
        <dt>Email</dt>
        <dd>{user.email}</dd>
        <dt>Role</dt>
        <dd>
          {user.role === 'ops' ? 'Operations' : 'Client'}
          {user.admin ? ' (administrator)' : ''}
        </dd>
      </dl>
      <ChangePassword onChanged={() => setVersion((v) => v + 1)} />
      <Sessions version={version} />
    </section>
  );
}
