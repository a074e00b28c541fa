import { documentTypeForFilename } from '../../shared/document-types';

export const formatDate = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** A file's type for a table column: "Word", or the content type of anything else. */
export const typeLabel = (file: { filename: string; contentType: string }) =>
  documentTypeForFilename(file.filename)?.shortLabel ?? file.contentType;
