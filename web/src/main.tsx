import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../../api-client/client';
import { Account, signOut } from './account';
import { call, client, restore, type User } from './api';
import { SignIn, SignUp } from './auth';
import { ClientFiles } from './client';
import { redeemLink } from './downloads';
import { Invitation } from './invitation';
import { OpsFiles } from './ops/ops-files';
import { UserDetail } from './ops/user-detail';
import { Users } from './ops/users';
import { ForgotPassword, ResetPassword, VerifyEmail } from './recovery';
import { type Route, useRoute } from './route';
import { session } from './session';

const APP_NAME = 'Secure file sharing';

/** The session as it is now, re-rendering whatever uses it when it changes (here or in another tab). */
function useSession() {
  const [, setVersion] = useState(0);
  useEffect(() => session.subscribe(() => setVersion((v) => v + 1)), []);
  return { token: session.token, user: session.user, ended: session.ended };
}

function PendingDownload({ token }: { token: string }) {
  const [state, setState] = useState<'working' | 'done' | string>('working');
  useEffect(() => {
    redeemLink(token).then(
      () => setState('done'),
      (e: unknown) => setState(e instanceof ApiError ? e.message : 'The download could not start.'),
    );
  }, [token]);
  return (
    <section aria-labelledby="download-title" class="card">
      <h1 id="download-title">Your download</h1>
      {state === 'working' && <p role="status">Starting your download…</p>}
      {state === 'done' && (
        <p role="status">
          Your download has started. <a href="#/">Back to your files</a>
        </p>
      )}
      {state !== 'working' && state !== 'done' && (
        <p role="alert" class="error">
          {state} <a href="#/">Back to your files</a>
        </p>
      )}
    </section>
  );
}

/** A signed-in account that may not see files yet: waiting for ops, or for its email to be confirmed. */
function NotYetActive({ user }: { user: User }) {
  const [checking, setChecking] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const check = async (quietly = false) => {
    setChecking(true);
    setNote(null);
    try {
      const { user: now } = await call(() => client.api.me.$get());
      if (now.status === user.status && !quietly)
        setNote(now.status === 'pending' ? 'Still waiting for approval.' : 'Your email is not confirmed yet.');
      session.setUser(now);
    } catch {
      if (!quietly) setNote('The service cannot be reached; try again in a moment.');
    } finally {
      setChecking(false);
    }
  };
  // Coming back to this tab (from the email, say): perhaps it changed meanwhile.
  useEffect(() => {
    const onFocus = () => void check(true);
    addEventListener('focus', onFocus);
    return () => removeEventListener('focus', onFocus);
  }, [user.id]);
  const pending = user.status === 'pending';
  return (
    <section class="card" aria-labelledby="waiting-title">
      <h1 id="waiting-title">{pending ? 'Waiting for approval' : 'Check your email'}</h1>
      {pending ? (
        <>
          <p>
            Your account <strong>{user.username}</strong> has been created and is waiting for the people who run this service to approve it.
            They have been told.
          </p>
          <p>
            Until then there are no files to see here. We will email <strong>{user.email}</strong> once your account is approved.
          </p>
        </>
      ) : (
        <p>
          We sent a link to <strong>{user.email}</strong>. Follow it to confirm your address; documents shared with you appear here once you
          have.
        </p>
      )}
      {note && <p role="status">{note}</p>}
      <div class="row wrap">
        <button type="button" onClick={() => check()} disabled={checking}>
          Check again
        </button>
        <button type="button" class="secondary" onClick={() => signOut()}>
          Sign out
        </button>
      </div>
    </section>
  );
}

function Nav({ user, path }: { user: User; path: string }) {
  const active = user.status === 'active';
  const links: Array<[string, string, boolean]> = [
    ['#/', 'Files', path === '/' || path.startsWith('/download/')],
    ...(user.role === 'ops' && active ? [['#/users', 'Users', path.startsWith('/users')] as [string, string, boolean]] : []),
    ['#/account', 'Account', path === '/account'],
  ];
  return (
    <nav aria-label="Main" class="main-nav">
      <ul>
        {links.map(([href, label, current]) => (
          <li key={href}>
            <a href={href} aria-current={current ? 'page' : undefined}>
              {label}
            </a>
          </li>
        ))}
      </ul>
      <span class="who">
        {user.username} ({user.role})
      </span>
      <button type="button" onClick={() => signOut()}>
        Sign out
      </button>
    </nav>
  );
}

/** Pages anyone can open from an emailed link, signed in or not. */
function LinkPage({ path }: { path: string }) {
  if (path === '/invitation') return <Invitation />;
  if (path === '/verify-email') return <VerifyEmail />;
  if (path === '/reset-password') return <ResetPassword />;
  return null;
}

function SignedOut({ route, ended }: { route: Route; ended: string | undefined }) {
  if (route.path === '/signup') return <SignUp />;
  if (route.path === '/forgot-password') return <ForgotPassword />;
  const note = route.path.startsWith('/download/')
    ? 'Sign in to download the file that was shared with you.'
    : ended === 'expired'
      ? 'Your session has ended. Sign in again to go on.'
      : undefined;
  return <SignIn note={note} />;
}

function SignedIn({ route, user }: { route: Route; user: User }) {
  const { path } = route;
  if (path === '/account') return <Account user={user} />;
  if (user.status !== 'active') return <NotYetActive user={user} />;
  if (path.startsWith('/download/')) return <PendingDownload token={path.slice('/download/'.length)} />;
  if (user.role === 'ops') {
    // Keyed by the query: following a link with other filters starts the page afresh.
    if (path === '/users') return <Users key={route.query.toString()} me={user} query={route.query} />;
    if (path.startsWith('/users/')) return <UserDetail me={user} id={decodeURIComponent(path.slice('/users/'.length))} />;
    return <OpsFiles />;
  }
  return <ClientFiles />;
}

/** After a change of page: its title, and the focus on its heading, for screen readers and the keyboard. */
function usePageFocus(path: string, ready: boolean) {
  const first = useRef(true);
  useEffect(() => {
    if (!ready) return;
    const frame = requestAnimationFrame(() => {
      const heading = document.querySelector<HTMLElement>('main h1');
      document.title = heading?.textContent ? `${heading.textContent} · ${APP_NAME}` : APP_NAME;
      if (first.current) {
        first.current = false;
        return;
      }
      if (heading && !heading.contains(document.activeElement)) {
        heading.tabIndex = -1;
        heading.focus();
      }
    });
    return () => cancelAnimationFrame(frame);
  }, [path, ready]);
}

function App() {
  const route = useRoute();
  const { token, user, ended } = useSession();
  const [restored, setRestored] = useState<'working' | 'done' | 'unreachable'>('working');
  const start = () => {
    setRestored('working');
    restore().then(
      () => setRestored('done'),
      () => setRestored('unreachable'),
    );
  };
  useEffect(start, []);
  const signedIn = Boolean(token && user);
  usePageFocus(`${route.path}|${signedIn}`, restored === 'done');

  const linkPage = ['/invitation', '/verify-email', '/reset-password'].includes(route.path);
  let page: preact.ComponentChildren;
  if (linkPage) page = <LinkPage path={route.path} />;
  else if (restored === 'working') page = <p role="status">Loading…</p>;
  else if (restored === 'unreachable' && !signedIn)
    page = (
      <section class="card" aria-labelledby="unreachable-title">
        <h1 id="unreachable-title">The service cannot be reached</h1>
        <p role="alert">Check your connection, then try again.</p>
        <button type="button" onClick={start}>
          Try again
        </button>
      </section>
    );
  else if (token && user) page = <SignedIn route={route} user={user} />;
  else page = <SignedOut route={route} ended={ended} />;

  return (
    <>
      <header class="bar">
        <a href="#/" class="brand">
          {APP_NAME}
        </a>
        {token && user && <Nav user={user} path={route.path} />}
      </header>
      <main>{page}</main>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
