import { useEffect, useRef, useState } from 'preact/hooks';
import { call, client, messageOf, type User } from '../api';
import { TableWrap } from '../field';
import { formatDate } from '../format';
import { replaceQuery } from '../route';
import { Invitations } from './invitations';
import { type Account, UserActions } from './user-actions';

const ROLES = ['client', 'ops'] as const;
const STATUSES = ['pending', 'active', 'unverified', 'disabled'] as const;
type Role = (typeof ROLES)[number];
type Status = (typeof STATUSES)[number];

const STATUS_LABELS: Record<Status, string> = {
  pending: 'Waiting for approval',
  active: 'Active',
  unverified: 'Email not confirmed',
  disabled: 'Disabled',
};
export const statusLabel = (status: string) => STATUS_LABELS[status as Status] ?? status;
export const roleLabel = (account: { role: string; admin: boolean }) =>
  account.role === 'ops' ? (account.admin ? 'Ops (administrator)' : 'Ops') : 'Client';

const oneOf = <T extends string>(values: readonly T[], value: string | null): T | '' =>
  value && (values as readonly string[]).includes(value) ? (value as T) : '';

interface Filters {
  q: string;
  role: Role | '';
  status: Status | '';
}

/** A page of accounts for the filters, and the next ones on demand. */
function useAccounts(filters: Filters) {
  const [items, setItems] = useState<Account[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const generation = useRef(0);

  const load = async (after: string | null) => {
    const mine = after ? generation.current : ++generation.current;
    try {
      const page = await call(() =>
        client.api.users.$get({
          query: {
            q: filters.q.trim() || undefined,
            role: filters.role || undefined,
            status: filters.status || undefined,
            limit: '50',
            cursor: after ?? undefined,
          },
        }),
      );
      if (mine !== generation.current) return; // the filters changed meanwhile
      setItems((prev) => (after && prev ? [...prev, ...page.items] : page.items));
      setCursor(page.nextCursor);
      setError(null);
    } catch (e) {
      if (mine === generation.current) setError(messageOf(e));
    }
  };
  return { items, cursor, error, load };
}

/** Accounts waiting for approval, surfaced above the list whatever it is filtered by. */
function PendingApprovals({ me, version, onDone }: { me: User; version: number; onDone: (said: string) => void }) {
  const [items, setItems] = useState<Account[]>([]);
  useEffect(() => {
    call(() => client.api.users.$get({ query: { status: 'pending', limit: '100' } })).then(
      (page) => setItems(page.items),
      () => setItems([]),
    );
  }, [version]);
  if (items.length === 0) return null;
  return (
    <section aria-labelledby="pending-title" class="panel notice">
      <h2 id="pending-title">
        {items.length === 1 ? 'One account is' : `${items.length}${items.length === 100 ? '+' : ''} accounts are`} waiting for approval
      </h2>
      <ul class="plain">
        {items.map((u) => (
          <li key={u.id} class="row wrap">
            <span>
              <a href={`#/users/${encodeURIComponent(u.id)}`}>{u.username}</a> ({u.email}), signed up {formatDate(u.createdAt)}
            </span>
            <span class="actions">
              <UserActions me={me} account={u} onDone={onDone} />
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** `#/users`: every account, searched and filtered, with what ops can do to each; invitations below. */
export function Users({ me, query }: { me: User; query: URLSearchParams }) {
  const [filters, setFilters] = useState<Filters>(() => ({
    q: query.get('q') ?? '',
    role: oneOf(ROLES, query.get('role')),
    status: oneOf(STATUSES, query.get('status')),
  }));
  const [search, setSearch] = useState(filters.q);
  const [message, setMessage] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const { items, cursor, error, load } = useAccounts(filters);

  // The filters live in the address too, so a link (the approval email's) or a reload keeps them.
  useEffect(() => {
    replaceQuery('/users', { q: filters.q.trim() || undefined, role: filters.role || undefined, status: filters.status || undefined });
    void load(null);
  }, [filters, version]);
  // Typing searches after a pause.
  useEffect(() => {
    if (search === filters.q) return;
    const timer = setTimeout(() => setFilters((f) => ({ ...f, q: search })), 250);
    return () => clearTimeout(timer);
  }, [search, filters.q]);

  const done = (said: string) => {
    setMessage(said);
    setVersion((v) => v + 1);
  };

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <p role="status" class="announce">
        {message}
      </p>
      {filters.status !== 'pending' && <PendingApprovals me={me} version={version} onDone={done} />}

      <search aria-label="Find accounts">
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            setFilters((f) => ({ ...f, q: search }));
          }}
        >
          <div class="field">
            <label for="users-q">Username or email starts with</label>
            <input
              id="users-q"
              type="search"
              autocomplete="off"
              value={search}
              onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
            />
          </div>
          <div class="field">
            <label for="users-role">Role</label>
            <select
              id="users-role"
              value={filters.role}
              onChange={(e) => setFilters((f) => ({ ...f, role: oneOf(ROLES, (e.target as HTMLSelectElement).value) }))}
            >
              <option value="">Any role</option>
              <option value="client">Client</option>
              <option value="ops">Ops</option>
            </select>
          </div>
          <div class="field">
            <label for="users-status">Status</label>
            <select
              id="users-status"
              value={filters.status}
              onChange={(e) => setFilters((f) => ({ ...f, status: oneOf(STATUSES, (e.target as HTMLSelectElement).value) }))}
            >
              <option value="">Any status</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {STATUS_LABELS[s]}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" class="secondary">
            Search
          </button>
        </form>
      </search>

      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {items === null && !error && <p role="status">Loading…</p>}
      {items && items.length === 0 && <p role="status">No account matches.</p>}
      {items && items.length > 0 && (
        <TableWrap label="Accounts">
          <table>
            <caption class="visually-hidden">Accounts</caption>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col" class="wide">
                  Email
                </th>
                <th scope="col" class="wide">
                  Role
                </th>
                <th scope="col">Status</th>
                <th scope="col" class="wide">
                  Created
                </th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((u) => (
                <tr key={u.id} data-user={u.username}>
                  <td>
                    <a href={`#/users/${encodeURIComponent(u.id)}`}>{u.username}</a>
                  </td>
                  <td class="wide">{u.email}</td>
                  <td class="wide">{roleLabel(u)}</td>
                  <td>{statusLabel(u.status)}</td>
                  <td class="wide">{formatDate(u.createdAt)}</td>
                  <td class="actions">
                    <UserActions me={me} account={u} onDone={done} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {cursor && (
        <button type="button" class="secondary" onClick={() => load(cursor)}>
          Show more
        </button>
      )}

      <Invitations me={me} />
    </section>
  );
}
