import { formatSize } from '../../../shared/format-size';
import type { FileItem } from '../api';
import { TableWrap } from '../field';
import { formatDate, typeLabel } from '../format';

/** Every file, with what ops can do to each. */
export function FilesTable(props: {
  files: FileItem[];
  onShare: (file: FileItem) => void;
  onAudit: (file: FileItem) => void;
  onDelete: (file: FileItem) => void;
}) {
  return (
    <TableWrap label="All files">
      <table>
        <caption class="visually-hidden">All files</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col" class="wide">
              Type
            </th>
            <th scope="col">Size</th>
            <th scope="col">Status</th>
            <th scope="col" class="wide">
              Sharing
            </th>
            <th scope="col" class="wide">
              Uploaded
            </th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.files.map((f) => (
            <tr key={f.id} data-file={f.filename}>
              <td>{f.filename}</td>
              <td class="wide">{typeLabel(f)}</td>
              <td>{formatSize(f.size)}</td>
              <td>
                {f.status}
                {f.rejectionReason && <span class="reason"> — {f.rejectionReason}</span>}
              </td>
              <td class="wide">{f.sharedWithAllClients ? 'all clients' : 'selected clients'}</td>
              <td class="wide">
                {formatDate(f.createdAt)} by {f.uploadedBy.username}
              </td>
              <td class="actions">
                <button
                  type="button"
                  onClick={() => props.onShare(f)}
                  aria-label={`Share ${f.filename}`}
                  disabled={f.status === 'rejected'}
                >
                  Share
                </button>
                <button type="button" onClick={() => props.onAudit(f)} aria-label={`Downloads of ${f.filename}`}>
                  Downloads
                </button>
                <button type="button" onClick={() => props.onDelete(f)} aria-label={`Delete ${f.filename}`}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
