import { useState } from 'preact/hooks';
import { messageOf } from '../api';
import { Dialog } from './dialog';

/**
 * "Are you sure?" for an action on an account or an invitation: `act` runs on confirmation; the
 * dialog closes when it succeeds and shows why when it fails.
 */
export function ConfirmDialog(props: {
  title: string;
  children: preact.ComponentChildren;
  confirm: string;
  danger?: boolean;
  act: () => Promise<void>;
  onClose: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.act();
      props.onClose();
    } catch (e) {
      setError(messageOf(e));
      setBusy(false);
    }
  };
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      {props.children}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="row wrap">
        <button type="button" class={props.danger ? 'danger' : undefined} onClick={go} disabled={busy}>
          {props.confirm}
        </button>
        {/* For a destructive action, Enter right after opening keeps things as they are. */}
        <button type="button" class="secondary" onClick={props.onClose} autofocus={props.danger}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
