import { useState } from 'preact/hooks';
import { useUploads } from './uploads';

/** Where ops drop or pick documents, and how each upload is going. */
export function UploadPanel({ onSettled }: { onSettled: () => Promise<void> }) {
  const { uploads, start } = useUploads(onSettled);
  const [dragging, setDragging] = useState(false);

  return (
    <>
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
          start(e.dataTransfer?.files ?? null);
        }}
      >
        <label for="upload-input">Drop .docx, .pptx or .xlsx files here, or choose them:</label>
        <input
          id="upload-input"
          type="file"
          multiple
          accept=".docx,.pptx,.xlsx"
          onChange={(e) => start((e.target as HTMLInputElement).files)}
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
    </>
  );
}
