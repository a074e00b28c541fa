import type { InferResponseType } from 'hono/client';
import { useEffect, useState } from 'preact/hooks';
import { call, client, messageOf, type User } from '../api';
import { formatDate } from '../format';
import { UserActions } from './user-actions';
import { roleLabel, statusLabel } from './users';

type Detail = InferResponseType<(typeof client.api.users)[':id']['$get'], 200>;

/** `#/users/<id>`: one account, what is shared with it and what it downloaded. */
export function UserDetail({ me, id }: { me: User; id: string }) {
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    call(() => client.api.users[':id'].$get({ param: { id: encodeURIComponent(id) } })).then(
      (d) => {
        setDetail(d);
        setError(null);
      },
      (e: unknown) => setError(messageOf(e)),
    );
  }, [id, version]);

  const back = (
    <p>
      <a href="#/users">← All users</a>
    </p>
  );
  if (!detail) {
    // The same heading as once it has loaded, so focus that lands on it stays.
    return (
      <section aria-labelledby="user-title">
        {back}
        <h1 id="user-title">Account</h1>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : (
          <p role="status">Loading…</p>
        )}
      </section>
    );
  }
  const { user, shares, downloads, sessions } = detail;
  return (
    <section aria-labelledby="user-title">
      {back}
      <h1 id="user-title">{user.username}</h1>
      <p role="status" class="announce">
        {message}
      </p>
      <dl class="facts">
        <dt>Email</dt>
        <dd>{user.email}</dd>
        <dt>Role</dt>
        <dd>{roleLabel(user)}</dd>
        <dt>Status</dt>
        <dd>{statusLabel(user.status)}</dd>
        <dt>Created</dt>
        <dd>{formatDate(user.createdAt)}</dd>
        <dt>Signed in on</dt>
        <dd>{sessions === 1 ? 'one device' : `${sessions} devices`}</dd>
      </dl>
      <div class="row wrap actions">
        <UserActions
          me={me}
          account={user}
          onDone={(said, deleted) => {
            if (deleted) location.hash = '#/users';
            setMessage(said);
            setVersion((v) => v + 1);
          }}
        />
      </div>

      {user.role === 'client' && (
        <section aria-labelledby="shares-title" class="panel">
          <h2 id="shares-title">Files shared with {user.username}</h2>
          {user.status !== 'active' && <p>They see none of these until the account is active.</p>}
          {shares.length === 0 ? (
            <p>Nothing is shared with them.</p>
          ) : (
            <ul class="plain" aria-labelledby="shares-title">
              {shares.map((s) => (
                <li key={s.file.id}>
                  {s.file.filename} <span class="meta">— {s.via === 'all_clients' ? 'shared with all clients' : 'shared by name'}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}

      <section aria-labelledby="downloads-title" class="panel">
        <h2 id="downloads-title">Downloads</h2>
        {downloads.length === 0 ? (
          <p>No downloads yet.</p>
        ) : (
          <ul class="plain" aria-labelledby="downloads-title">
            {downloads.map((d, i) => (
              <li key={`${d.file.id}-${i}`}>
                {formatDate(d.at)} — {d.file.filename ?? <em>a deleted file</em>}
              </li>
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}
