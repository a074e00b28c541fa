import { call, client, type FileItem } from '../api';
import { Dialog } from './dialog';

/** Deleting a file, once confirmed: `onDeleted` runs after the attempt, whatever its outcome. */
export function DeleteDialog({ file, onClose, onDeleted }: { file: FileItem; onClose: () => void; onDeleted: () => Promise<void> }) {
  return (
    <Dialog title={`Delete ${file.filename}?`} onClose={onClose}>
      <p>The file and every link to it stop working at once. This cannot be undone.</p>
      <div class="row">
        <button
          type="button"
          class="danger"
          onClick={async () => {
            await call(() => client.api.files[':id'].$delete({ param: { id: encodeURIComponent(file.id) } })).catch(() => undefined);
            await onDeleted();
          }}
        >
          Delete
        </button>
        <button type="button" onClick={onClose}>
          Keep it
        </button>
      </div>
    </Dialog>
  );
}
