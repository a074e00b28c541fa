/**
 * The office documents the service accepts, by extension. The API, the CLI and the web portal
 * all name and recognise them from this list, so it imports nothing (the check of the bytes
 * themselves is shared/documents.ts).
 */
export interface DocumentType {
  extension: '.docx' | '.pptx' | '.xlsx';
  contentType: string;
  /** The content type `[Content_Types].xml` gives the main part of such a document. */
  mainPartContentType: string;
  /** In a sentence: "The file is not a Word document". */
  label: string;
  /** In a table column: "Word". */
  shortLabel: string;
}

export const DOCUMENT_TYPES: readonly DocumentType[] = [
  {
    extension: '.docx',
    contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    mainPartContentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml',
    label: 'a Word document',
    shortLabel: 'Word',
  },
  {
    extension: '.pptx',
    contentType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    mainPartContentType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml',
    label: 'a PowerPoint presentation',
    shortLabel: 'PowerPoint',
  },
  {
    extension: '.xlsx',
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    mainPartContentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml',
    label: 'an Excel workbook',
    shortLabel: 'Excel',
  },
];

/** The type a file name's extension (any case) says it is, or undefined for anything else. */
export const documentTypeForFilename = (filename: string): DocumentType | undefined => {
  const lower = filename.toLowerCase();
  return DOCUMENT_TYPES.find((t) => lower.endsWith(t.extension));
};
