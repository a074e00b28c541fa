import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, type FileItem, formatDate, formatSize, typeOf } from './api';

interface Upload {
  key: string;
  name: string;
  size: number;
  sent: number;
  state: 'uploading' | 'verifying' | 'ready' | 'rejected' | 'failed' | 'cancelled';
  message?: string;
  xhr?: XMLHttpRequest;
}

/** PUTs the bytes straight to storage with exactly the signed headers, reporting progress. */
function putToStorage(
  upload: { url: string; headers: Record<string, string> },
  file: File,
  onProgress: (sent: number) => void,
  onXhr: (xhr: XMLHttpRequest) => void,
) {
  return new Promise<void>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    onXhr(xhr);
    xhr.open('PUT', upload.url);
    // content-length is set by the browser from the body; it must (and does) equal the declared size.
    for (const [name, value] of Object.entries(upload.headers)) if (name !== 'content-length') xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => (xhr.status === 200 ? resolve() : reject(new Error(`Storage refused the upload (HTTP ${xhr.status}).`)));
    xhr.onerror = () => reject(new Error('The upload was interrupted.'));
    xhr.onabort = () => reject(new DOMException('cancelled', 'AbortError'));
    xhr.send(file);
  });
}

export function OpsFiles() {
  const [files, setFiles] = useState<FileItem[]>([]);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [sharing, setSharing] = useState<FileItem | null>(null);
  const [audit, setAudit] = useState<FileItem | null>(null);
  const [deleting, setDeleting] = useState<FileItem | null>(null);
  const [dragging, setDragging] = useState(false);

  const refresh = async () => {
    const all: FileItem[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: FileItem[]; nextCursor: string | null } = await api(
        'GET',
        `/api/files?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && all.length < 500);
    setFiles(all);
  };
  useEffect(() => {
    refresh().catch(() => undefined);
  }, []);

  const patch = (key: string, change: Partial<Upload>) => setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...change } : u)));

  const uploadOne = async (file: File) => {
    const key = `${file.name}-${crypto.randomUUID()}`;
    const base: Upload = { key, name: file.name, size: file.size, sent: 0, state: 'uploading' };
    setUploads((list) => [base, ...list]);
    const type = typeOf(file.name);
    // Checked here for a quick answer; the API checks again, and verifies the bytes after.
    if (!type) return patch(key, { state: 'rejected', message: 'Only .docx, .pptx and .xlsx files can be uploaded.' });
    if (file.size === 0) return patch(key, { state: 'rejected', message: 'The file is empty.' });
    try {
      const started = await api<{ file: FileItem; upload: { url: string; headers: Record<string, string> } }>('POST', '/api/files', {
        filename: file.name,
        contentType: type.contentType,
        size: file.size,
      });
      await putToStorage(
        started.upload,
        file,
        (sent) => patch(key, { sent }),
        (xhr) => patch(key, { xhr }),
      );
      patch(key, { state: 'verifying', sent: file.size });
      try {
        await api('POST', `/api/files/${encodeURIComponent(started.file.id)}/complete`);
        patch(key, { state: 'ready' });
      } catch (e) {
        patch(key, { state: 'rejected', message: e instanceof ApiError ? e.message : 'Verification failed.' });
      }
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') patch(key, { state: 'cancelled' });
      else patch(key, { state: 'failed', message: e instanceof Error ? e.message : 'The upload failed.' });
    }
    await refresh().catch(() => undefined);
  };

  const onFiles = (list: FileList | null) => {
    for (const file of Array.from(list ?? [])) void uploadOne(file);
  };

  return (
    <section aria-labelledby="ops-title">
      <h1 id="ops-title">Files</h1>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: a drag target only; the file picker inside it is the keyboard and screen-reader route */}
      <div
        class={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          onFiles(e.dataTransfer?.files ?? null);
        }}
      >
        <label for="upload-input">Drop .docx, .pptx or .xlsx files here, or choose them:</label>
        <input
          id="upload-input"
          type="file"
          multiple
          accept=".docx,.pptx,.xlsx"
          onChange={(e) => onFiles((e.target as HTMLInputElement).files)}
        />
      </div>

      {uploads.length > 0 && (
        <ul class="uploads" aria-label="Uploads">
          {uploads.map((u) => (
            <li key={u.key} data-state={u.state}>
              <span class="name">{u.name}</span>
              <progress max={u.size || 1} value={u.sent} aria-label={`Upload progress of ${u.name}`} />
              <span class="state" role="status">
                {u.state}
                {u.message ? `: ${u.message}` : ''}
              </span>
              {u.state === 'uploading' && (
                <button type="button" onClick={() => u.xhr?.abort()} aria-label={`Cancel upload of ${u.name}`}>
                  Cancel
                </button>
              )}
            </li>
          ))}
        </ul>
      )}

      <table>
        <caption class="visually-hidden">All files</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Size</th>
            <th scope="col">Status</th>
            <th scope="col">Sharing</th>
            <th scope="col">Uploaded</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {files.map((f) => (
            <tr key={f.id} data-file={f.filename}>
              <td>{f.filename}</td>
              <td>{typeOf(f.filename)?.label ?? f.contentType}</td>
              <td>{formatSize(f.size)}</td>
              <td>
                {f.status}
                {f.rejectionReason && <span class="reason"> — {f.rejectionReason}</span>}
              </td>
              <td>{f.sharedWithAllClients ? 'all clients' : 'selected clients'}</td>
              <td>
                {formatDate(f.createdAt)} by {f.uploadedBy.username}
              </td>
              <td class="actions">
                <button type="button" onClick={() => setSharing(f)} aria-label={`Share ${f.filename}`} disabled={f.status === 'rejected'}>
                  Share
                </button>
                <button type="button" onClick={() => setAudit(f)} aria-label={`Downloads of ${f.filename}`}>
                  Downloads
                </button>
                <button type="button" onClick={() => setDeleting(f)} aria-label={`Delete ${f.filename}`}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      {sharing && (
        <ShareDialog
          file={sharing}
          onClose={() => {
            setSharing(null);
            void refresh();
          }}
        />
      )}
      {audit && <AuditDialog file={audit} onClose={() => setAudit(null)} />}
      {deleting && (
        <Dialog title={`Delete ${deleting.filename}?`} onClose={() => setDeleting(null)}>
          <p>The file and every link to it stop working at once. This cannot be undone.</p>
          <div class="row">
            <button
              type="button"
              class="danger"
              onClick={async () => {
                await api('DELETE', `/api/files/${encodeURIComponent(deleting.id)}`).catch(() => undefined);
                setDeleting(null);
                await refresh();
              }}
            >
              Delete
            </button>
            <button type="button" onClick={() => setDeleting(null)}>
              Keep it
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}

/** A modal dialog: focus moves in, Escape closes it, the page behind is inert. */
function Dialog(props: { title: string; onClose: () => void; children: preact.ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const id = `dialog-${props.title.replace(/\W+/g, '-')}`;
  return (
    <dialog ref={ref} aria-labelledby={id} onClose={props.onClose}>
      <h2 id={id}>{props.title}</h2>
      {props.children}
    </dialog>
  );
}

function ShareDialog({ file, onClose }: { file: FileItem; onClose: () => void }) {
  const [allClients, setAllClients] = useState(file.sharedWithAllClients);
  const [clients, setClients] = useState<string[]>([]);
  const [query, setQuery] = useState('');
  const [suggestions, setSuggestions] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api<{ allClients: boolean; clients: Array<{ username: string }> }>('GET', `/api/files/${encodeURIComponent(file.id)}/sharing`).then(
      (s) => {
        setAllClients(s.allClients);
        setClients(s.clients.map((c) => c.username));
      },
    );
  }, [file.id]);
  useEffect(() => {
    if (query.trim().length < 1) return setSuggestions([]);
    const timer = setTimeout(() => {
      api<{ items: Array<{ username: string }> }>('GET', `/api/clients?query=${encodeURIComponent(query.trim())}`).then(
        (r) => setSuggestions(r.items.map((c) => c.username)),
        () => setSuggestions([]),
      );
    }, 150);
    return () => clearTimeout(timer);
  }, [query]);

  const add = () => {
    const name = query.trim().toLowerCase();
    if (name && !clients.includes(name)) setClients([...clients, name]);
    setQuery('');
  };
  const save = async () => {
    setError(null);
    try {
      await api('PUT', `/api/files/${encodeURIComponent(file.id)}/sharing`, { allClients, clients });
      onClose();
    } catch (e) {
      setError(e instanceof ApiError ? [e.message, ...e.errors.map((x) => x.message)].join(' ') : 'Sharing failed.');
    }
  };

  return (
    <Dialog title={`Share ${file.filename}`} onClose={onClose}>
      <label class="check">
        <input type="checkbox" checked={allClients} onChange={(e) => setAllClients((e.target as HTMLInputElement).checked)} /> Every client
      </label>
      <div class="field">
        <label for="share-client">Add a client by username</label>
        <div class="row">
          <input
            id="share-client"
            list="client-suggestions"
            autocomplete="off"
            value={query}
            onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                add();
              }
            }}
          />
          <button type="button" onClick={add}>
            Add
          </button>
        </div>
        <datalist id="client-suggestions">
          {suggestions.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
      </div>
      <ul aria-label="Clients with access" class="chips">
        {clients.map((c) => (
          <li key={c}>
            {c}{' '}
            <button type="button" aria-label={`Remove ${c}`} onClick={() => setClients(clients.filter((x) => x !== c))}>
              ×
            </button>
          </li>
        ))}
      </ul>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="row">
        <button type="button" onClick={save}>
          Save sharing
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}

function AuditDialog({ file, onClose }: { file: FileItem; onClose: () => void }) {
  const [items, setItems] = useState<Array<{ user: { username: string }; at: string }> | null>(null);
  useEffect(() => {
    api<{ items: Array<{ user: { username: string }; at: string }> }>('GET', `/api/files/${encodeURIComponent(file.id)}/downloads`).then(
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
