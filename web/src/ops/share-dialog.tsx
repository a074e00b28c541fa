import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../../../api-client/client';
import { call, client, type FileItem } from '../api';
import { Dialog } from './dialog';

/** Who may download a file: every client, or those picked by username. */
export function ShareDialog({ file, onClose }: { file: FileItem; onClose: () => void }) {
  const [allClients, setAllClients] = useState(file.sharedWithAllClients);
  const [clients, setClients] = useState<string[]>([]);
  const [query, setQuery] = useState('');
  const [suggestions, setSuggestions] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    call(() => client.api.files[':id'].sharing.$get({ param: { id: encodeURIComponent(file.id) } })).then((s) => {
      setAllClients(s.allClients !== false);
      setClients(s.clients.map((c) => c.username));
    });
  }, [file.id]);
  useEffect(() => {
    if (query.trim().length < 1) return setSuggestions([]);
    const timer = setTimeout(() => {
      call(() => client.api.clients.$get({ query: { query: query.trim() } })).then(
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
      await call(() => client.api.files[':id'].sharing.$put({ param: { id: encodeURIComponent(file.id) }, json: { allClients, clients } }));
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
