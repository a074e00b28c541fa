import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../../api-client/client';
import { formatSize } from '../../shared/format-size';
import { call, client, type FileItem } from './api';
import { downloadFile } from './downloads';
import { TableWrap } from './field';
import { formatDate, typeLabel } from './format';

/** A client's files: the ready ones shared with it, newest first, a page at a time. */
export function ClientFiles() {
  const [items, setItems] = useState<FileItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  const load = async (after: string | null) => {
    const page = await call(() => client.api.files.$get({ query: { limit: '25', cursor: after ?? undefined } }));
    setItems((prev) => (after ? [...prev, ...page.items] : page.items));
    setCursor(page.nextCursor);
    setLoaded(true);
  };
  useEffect(() => {
    load(null).catch(() => setLoaded(true));
  }, []);

  const download = async (file: FileItem) => {
    setMessage(null);
    try {
      await downloadFile(file.id);
      setMessage(`Downloading ${file.filename}…`);
    } catch (e) {
      setMessage(e instanceof ApiError ? e.message : 'The download could not start.');
    }
  };

  return (
    <section aria-labelledby="files-title">
      <h1 id="files-title">Files shared with you</h1>
      {message && <p role="status">{message}</p>}
      {loaded && items.length === 0 && <p>Nothing has been shared with you yet.</p>}
      {items.length > 0 && (
        <TableWrap label="Files shared with you">
          <table>
            <caption class="visually-hidden">Files shared with you</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" class="wide">
                  Type
                </th>
                <th scope="col">Size</th>
                <th scope="col" class="wide">
                  Shared by
                </th>
                <th scope="col" class="wide">
                  Ready since
                </th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((f) => (
                <tr key={f.id}>
                  <td>{f.filename}</td>
                  <td class="wide">{typeLabel(f)}</td>
                  <td>{formatSize(f.size)}</td>
                  <td class="wide">{f.uploadedBy.username}</td>
                  <td class="wide">{formatDate(f.readyAt)}</td>
                  <td>
                    <button type="button" onClick={() => download(f)} aria-label={`Download ${f.filename}`}>
                      Download
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {cursor && (
        <button type="button" onClick={() => load(cursor)}>
          Show more
        </button>
      )}
    </section>
  );
}
