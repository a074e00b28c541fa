import { useEffect, useState } from 'preact/hooks';
import { call, client, type FileItem, type FilePage } from '../api';
import { AuditDialog } from './audit-dialog';
import { DeleteDialog } from './delete-dialog';
import { FilesTable } from './files-table';
import { ShareDialog } from './share-dialog';
import { UploadPanel } from './upload-panel';

/** The ops' page: uploads, every file, and sharing, the audit and deletion of each. */
export function OpsFiles() {
  const [files, setFiles] = useState<FileItem[]>([]);
  const [sharing, setSharing] = useState<FileItem | null>(null);
  const [audit, setAudit] = useState<FileItem | null>(null);
  const [deleting, setDeleting] = useState<FileItem | null>(null);

  const refresh = async () => {
    const all: FileItem[] = [];
    let cursor: string | null = null;
    do {
      const page: FilePage = await call(() => client.api.files.$get({ query: { limit: '100', cursor: cursor ?? undefined } }));
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && all.length < 500);
    setFiles(all);
  };
  useEffect(() => {
    refresh().catch(() => undefined);
  }, []);

  return (
    <section aria-labelledby="ops-title">
      <h1 id="ops-title">Files</h1>
      <UploadPanel onSettled={refresh} />

      <FilesTable files={files} onShare={setSharing} onAudit={setAudit} onDelete={setDeleting} />

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
        <DeleteDialog
          file={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={async () => {
            setDeleting(null);
            await refresh();
          }}
        />
      )}
    </section>
  );
}
