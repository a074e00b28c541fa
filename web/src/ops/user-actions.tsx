import type { InferResponseType } from 'hono/client';
import { useState } from 'preact/hooks';
import { call, client, messageOf, type User } from '../api';
import { ConfirmDialog } from './confirm-dialog';

export type Account = InferResponseType<typeof client.api.users.$get, 200>['items'][number];
type Action = 'disable' | 'enable' | 'delete';

const param = (account: Account) => ({ param: { id: encodeURIComponent(account.id) } });

/** Whether `me` may act on `account` at all: never on yourself, and on ops only as an administrator. */
export const mayManage = (me: User, account: Account) => me.id !== account.id && (account.role !== 'ops' || me.admin);

const CONFIRM: Record<Action, { title: (name: string) => string; text: string; confirm: string; danger: boolean }> = {
  disable: {
    title: (name) => `Disable ${name}?`,
    text: 'They are signed out everywhere at once and cannot sign in or download anything until the account is enabled again. What is shared with them is kept.',
    confirm: 'Disable',
    danger: true,
  },
  enable: {
    title: (name) => `Enable ${name}?`,
    text: 'They can sign in again. The sessions and links ended when the account was disabled stay ended.',
    confirm: 'Enable',
    danger: false,
  },
  delete: {
    title: (name) => `Delete ${name}?`,
    text: 'The account goes at once, with what is shared with it and its sessions; its name becomes free. Its downloads stay in the audit. This cannot be undone.',
    confirm: 'Delete',
    danger: true,
  },
};

/**
 * The buttons for what ops can do to an account (approve at once; disable, enable and delete
 * after confirming), and the confirmation. `onDone` gets a sentence to announce, and whether the
 * account is gone.
 */
export function UserActions({ me, account, onDone }: { me: User; account: Account; onDone: (said: string, deleted: boolean) => void }) {
  const [confirming, setConfirming] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  if (!mayManage(me, account)) return <span class="meta">{me.id === account.id ? 'You' : 'Administrators only'}</span>;
  const name = account.username;

  const approve = async () => {
    setBusy(true);
    try {
      await call(() => client.api.users[':id'].approve.$post(param(account)));
      onDone(`${name} is approved.`, false);
    } catch (e) {
      onDone(messageOf(e), false);
    } finally {
      setBusy(false);
    }
  };
  const act = async (action: Action) => {
    if (action === 'delete') await call(() => client.api.users[':id'].$delete(param(account)));
    else if (action === 'disable') await call(() => client.api.users[':id'].disable.$post(param(account)));
    else await call(() => client.api.users[':id'].enable.$post(param(account)));
    onDone(`${name} is ${action === 'delete' ? 'deleted' : `${action}d`}.`, action === 'delete');
  };

  const button = (action: Action, label: string) => (
    <button
      type="button"
      class={action === 'enable' ? undefined : 'secondary'}
      onClick={() => setConfirming(action)}
      aria-label={`${label} ${name}`}
    >
      {label}
    </button>
  );
  const confirm = confirming && CONFIRM[confirming];
  return (
    <>
      {account.status === 'pending' && (
        <button type="button" onClick={approve} disabled={busy} aria-label={`Approve ${name}`}>
          Approve
        </button>
      )}
      {account.status === 'disabled' ? button('enable', 'Enable') : button('disable', 'Disable')}
      {button('delete', 'Delete')}
      {confirming && confirm && (
        <ConfirmDialog
          title={confirm.title(name)}
          confirm={confirm.confirm}
          danger={confirm.danger}
          act={() => act(confirming)}
          onClose={() => setConfirming(null)}
        >
          <p>{confirm.text}</p>
        </ConfirmDialog>
      )}
    </>
  );
}
