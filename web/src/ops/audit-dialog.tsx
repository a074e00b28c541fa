import type { InferResponseType } from 'hono/client';
import { useEffect, useState } from 'preact/hooks';
import { call, client, type FileItem } from '../api';
import { formatDate } from '../format';
import { Dialog } from './dialog';

type Downloads = InferResponseType<(typeof client.api.files)[':id']['downloads']['$get'], 200>['items'];

/** Who downloaded a file, and when. */
export function AuditDialog({ file, onClose }: { file: FileItem; onClose: () => void }) {
  const [items, setItems] = useState<Downloads | null>(null);
  useEffect(() => {
    call(() => client.api.files[':id'].downloads.$get({ param: { id: encodeURIComponent(file.id) } })).then(
      (r) => setItems(r.items),
      () => setItems([]),
    );
  }, [file.id]);
  return (
    <Dialog title={`Downloads of ${file.filename}`} onClose={onClose}>
      {items === null && <p role="status">Loading…</p>}
      {items?.length === 0 && <p>No downloads yet.</p>}
      {items && items.length > 0 && (
        <ul>
          {items.map((d, i) => (
            <li key={i}>
              {formatDate(d.at)} — {d.user.username}
            </li>
          ))}
        </ul>
      )}
      <button type="button" onClick={onClose}>
        Close
      </button>
    </Dialog>
  );
}
