import type { InferResponseType } from 'hono/client';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../../../api-client/client';
import { asApiError, call, client, messageOf, type User } from '../api';
import { Field, TableWrap } from '../field';
import { formatDate } from '../format';
import { ConfirmDialog } from './confirm-dialog';
import { Dialog } from './dialog';

type InvitationItem = InferResponseType<typeof client.api.invitations.$get, 200>['items'][number];

const STATUS_LABELS: Record<InvitationItem['status'], string> = {
  pending: 'Waiting to be used',
  used: 'Used',
  expired: 'Expired',
  revoked: 'Revoked',
};

/** Inviting an email address: a client, or (administrators only) a member of ops. */
function InviteDialog({ me, onClose, onSent }: { me: User; onClose: () => void; onSent: (email: string) => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'client' | 'ops'>('client');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await call(() => client.api.invitations.$post({ json: { email, role } }));
      onSent(email);
    } catch (err) {
      const problem = asApiError(err);
      setError(
        problem.code === 'conflict'
          ? new ApiError(409, 'conflict', 'An invitation for that address is still waiting to be used: resend it from the list instead.')
          : problem,
      );
      setBusy(false);
    }
  };

  const emailError = error?.field('email') ?? (error?.code === 'email_taken' ? error.message : undefined);
  return (
    <Dialog title="Invite someone" onClose={onClose}>
      <form onSubmit={submit}>
        <p>They get an email with a link to create their account. It works once, for a few days.</p>
        <Field name="invite-email" label="Email" type="email" autocomplete="off" value={email} onInput={setEmail} error={emailError} />
        <div class="field">
          <label for="invite-role">Role</label>
          <select
            id="invite-role"
            value={role}
            onChange={(e) => setRole((e.target as HTMLSelectElement).value === 'ops' ? 'ops' : 'client')}
          >
            <option value="client">Client</option>
            {me.admin && <option value="ops">Ops</option>}
          </select>
        </div>
        {error && !emailError && (
          <p class="error" role="alert">
            {error.message}
          </p>
        )}
        <div class="row wrap">
          <button type="submit" disabled={busy}>
            Send invitation
          </button>
          <button type="button" class="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** The invitations ops sent, newest first, with resending and revoking. */
export function Invitations({ me }: { me: User }) {
  const [items, setItems] = useState<InvitationItem[] | null>(null);
  const [inviting, setInviting] = useState(false);
  const [revoking, setRevoking] = useState<InvitationItem | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  const load = () =>
    call(() => client.api.invitations.$get()).then(
      (r) => setItems(r.items),
      (e: unknown) => setMessage(messageOf(e)),
    );
  useEffect(() => {
    void load();
  }, []);

  const resend = async (item: InvitationItem) => {
    setMessage(null);
    try {
      await call(() => client.api.invitations[':id'].resend.$post({ param: { id: encodeURIComponent(item.id) } }));
      setMessage(`A new link was sent to ${item.email}; the earlier one no longer works.`);
    } catch (e) {
      setMessage(messageOf(e));
    }
    await load();
  };
  const mayHandle = (item: InvitationItem) => item.role !== 'ops' || me.admin;

  return (
    <section aria-labelledby="invitations-title" class="panel">
      <div class="row wrap spread">
        <h2 id="invitations-title">Invitations</h2>
        <button type="button" onClick={() => setInviting(true)}>
          Invite someone
        </button>
      </div>
      <p role="status" class="announce">
        {message}
      </p>
      {items?.length === 0 && <p>No invitations yet.</p>}
      {items && items.length > 0 && (
        <TableWrap label="Invitations">
          <table>
            <caption class="visually-hidden">Invitations</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col" class="wide">
                  Invited by
                </th>
                <th scope="col" class="wide">
                  Expires
                </th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((inv) => (
                <tr key={inv.id} data-invitation={inv.email}>
                  <td>{inv.email}</td>
                  <td>{inv.role === 'ops' ? 'Ops' : 'Client'}</td>
                  <td>
                    {STATUS_LABELS[inv.status]}
                    {inv.usedAt && <span class="meta"> {formatDate(inv.usedAt)}</span>}
                  </td>
                  <td class="wide">{inv.invitedBy.username ?? 'a deleted account'}</td>
                  <td class="wide">{inv.status === 'pending' || inv.status === 'expired' ? formatDate(inv.expiresAt) : '—'}</td>
                  <td class="actions">
                    {mayHandle(inv) && (inv.status === 'pending' || inv.status === 'expired') && (
                      <button
                        type="button"
                        class="secondary"
                        onClick={() => resend(inv)}
                        aria-label={`Resend the invitation to ${inv.email}`}
                      >
                        Resend
                      </button>
                    )}
                    {mayHandle(inv) && inv.status === 'pending' && (
                      <button
                        type="button"
                        class="secondary"
                        onClick={() => setRevoking(inv)}
                        aria-label={`Revoke the invitation to ${inv.email}`}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {inviting && (
        <InviteDialog
          me={me}
          onClose={() => setInviting(false)}
          onSent={(email) => {
            setInviting(false);
            setMessage(`Invitation sent to ${email}.`);
            void load();
          }}
        />
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke the invitation to ${revoking.email}?`}
          confirm="Revoke"
          danger
          act={async () => {
            await call(() => client.api.invitations[':id'].$delete({ param: { id: encodeURIComponent(revoking.id) } }));
            setMessage(`The invitation to ${revoking.email} is revoked.`);
            await load();
          }}
          onClose={() => setRevoking(null)}
        >
          <p>Its link stops working at once. You can invite the address again later.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
