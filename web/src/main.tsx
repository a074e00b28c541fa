import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, unwrap } from '../../api-client/client';
import { client, type User } from './api';
import { SignIn, SignUp } from './auth';
import { ClientFiles } from './client';
import { redeemLink } from './downloads';
import { OpsFiles } from './ops/ops-files';
import { session } from './session';

/**
 * Routes live in the URL fragment, which never reaches a server: `#/download/<token>` carries a
 * download link's token through sign-in without it appearing in any request line or log.
 */
function useRoute(): string {
  const [route, setRoute] = useState(location.hash.slice(1) || '/');
  useEffect(() => {
    const onChange = () => setRoute(location.hash.slice(1) || '/');
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function useUser(): [User | null | undefined, (u: User | null) => void] {
  const [user, setUser] = useState<User | null | undefined>(session.token ? undefined : null);
  useEffect(() => {
    const load = () => {
      if (!session.token) return setUser(null);
      unwrap(client.api.me.$get()).then(
        (r) => setUser(r.user),
        () => setUser(null),
      );
    };
    load();
    return session.subscribe(load);
  }, []);
  return [user, setUser];
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

function App() {
  const route = useRoute();
  const [user, setUser] = useUser();
  const downloadToken = route.startsWith('/download/') ? route.slice('/download/'.length) : null;

  if (user === undefined) return <p role="status">Loading…</p>;

  const signOut = async () => {
    await unwrap(client.api.auth.logout.$post()).catch(() => undefined);
    session.set(null);
    setUser(null);
    location.hash = '#/';
  };

  return (
    <>
      <header class="bar">
        <a href="#/" class="brand">
          Secure file sharing
        </a>
        {user && (
          <nav aria-label="Account">
            <span>
              {user.username} ({user.role})
            </span>
            <button type="button" onClick={signOut}>
              Sign out
            </button>
          </nav>
        )}
      </header>
      <main>
        {!user && route === '/signup' && <SignUp />}
        {!user && route !== '/signup' && (
          <SignIn
            note={downloadToken ? 'Sign in to download the file that was shared with you.' : undefined}
            onSignedIn={(u) => setUser(u)}
          />
        )}
        {user && downloadToken && <PendingDownload token={downloadToken} />}
        {user && !downloadToken && user.role === 'ops' && <OpsFiles />}
        {user && !downloadToken && user.role === 'client' && <ClientFiles />}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
