import type { Entry, FileEntry, Reader, Writer } from '@zip.js/zip.js';
// The reader-only build (22 KB gzip in the worker, against 75 KB for the full library); it
// inflates with the platform's own DecompressionStream.
import { ZipReader } from '@zip.js/zip.js/lib/zip-core-reader.js';

/**
 * What an uploaded office document must be, and the check of the stored bytes against it.
 *
 * Only what is needed is read, through ranged reads: the ZIP's end of central directory, the
 * central directory, and the `[Content_Types].xml` entry. Never the whole object.
 */

export interface DocumentType {
  extension: '.docx' | '.pptx' | '.xlsx';
  contentType: string;
  /** The content type `[Content_Types].xml` gives the main part of such a document. */
  mainPartContentType: string;
  label: string;
}

export const DOCUMENT_TYPES: readonly DocumentType[] = [
  {
    extension: '.docx',
    contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    mainPartContentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml',
    label: 'a Word document',
  },
  {
    extension: '.pptx',
    contentType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    mainPartContentType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml',
    label: 'a PowerPoint presentation',
  },
  {
    extension: '.xlsx',
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    mainPartContentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml',
    label: 'an Excel workbook',
  },
];

export const documentTypeForFilename = (filename: string): DocumentType | undefined => {
  const lower = filename.toLowerCase();
  return DOCUMENT_TYPES.find((t) => lower.endsWith(t.extension));
};

/** Limits that no real office document comes near, and every ZIP bomb passes. */
export const ZIP_LIMITS = {
  maxEntries: 10_000,
  /** Read whole by zip.js, so it is bounded before zip.js sees it (10,000 entries fit in ~1 MB). */
  maxCentralDirectoryBytes: 4 * 1024 * 1024,
  maxEntryUncompressedBytes: 512 * 1024 * 1024,
  maxTotalUncompressedBytes: 1024 * 1024 * 1024,
  /** Compression ratio above which a large entry, or the whole package, is taken for a bomb; office XML is ~10:1. */
  maxRatio: 200,
  ratioAppliesAboveBytes: 8 * 1024 * 1024,
  totalRatioAppliesAboveBytes: 64 * 1024 * 1024,
  /** Both compressed and uncompressed: a tiny part padded with empty deflate blocks is still refused. */
  maxContentTypesBytes: 1024 * 1024,
};

/** End of central directory (and its ZIP64 form): where the directory is and how big it is. */
async function readDirectoryBounds(source: ByteSource): Promise<{ entries: number; directoryBytes: number } | null> {
  // Almost every package ends in the 22-byte record; only a ZIP comment pushes it further back.
  for (const window of [4096, 22 + 0xffff]) {
    const found = await findDirectoryBounds(source, Math.min(source.size, window));
    if (found !== undefined || window >= source.size) return found ?? null;
  }
  return null;
}

async function findDirectoryBounds(source: ByteSource, tailLength: number): Promise<{ entries: number; directoryBytes: number } | null | undefined> {
  const tailStart = source.size - tailLength;
  const tail = await source.read(tailStart, tailLength);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  for (let i = tail.length - 22; i >= 0; i--) {
    if (view.getUint32(i, true) !== 0x06054b50) continue;
    let entries = view.getUint16(i + 10, true);
    let directoryBytes = view.getUint32(i + 12, true);
    if ((entries === 0xffff || directoryBytes === 0xffffffff) && i >= 20 && view.getUint32(i - 20, true) === 0x07064b50) {
      const zip64At = Number(view.getBigUint64(i - 20 + 8, true));
      if (zip64At < 0 || zip64At + 56 > source.size) return null;
      const record = await source.read(zip64At, 56);
      const r = new DataView(record.buffer, record.byteOffset, record.byteLength);
      if (r.getUint32(0, true) !== 0x06064b50) return null;
      entries = Number(r.getBigUint64(32, true));
      directoryBytes = Number(r.getBigUint64(40, true));
    }
    return { entries, directoryBytes };
  }
  return undefined;
}

/** Random-access reads of the stored object: a ranged GET each. */
export interface ByteSource {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

// macroEnabled documents, VBA projects, Excel 4.0 macro sheets (macrosheet, intlmacrosheet), ActiveX.
const MACRO_CONTENT_TYPE = /macro|vbaproject|activex/i;
const MACRO_PART = /(^|\/)vbaProject\.bin$|(^|\/)vbaProjectSignature\.bin$|(^|\/)activeX\/|(^|\/)macrosheets\//i;
const CFB_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/**
 * Errors of the storage (DependencyError) propagate: they are an outage, not a verdict on the
 * file. Everything wrong with the bytes themselves is a rejection with a reason a person reads.
 */
export async function verifyOfficeDocument(source: ByteSource, type: DocumentType): Promise<Verdict> {
  const reject = (reason: string): Verdict => ({ ok: false, reason });
  if (source.size < 22) return reject('The file is too small to be an office document.');

  const head = await source.read(0, Math.min(8, source.size));
  if (CFB_MAGIC.every((b, i) => head[i] === b)) {
    return reject('The file is an encrypted or legacy (OLE) Office file, not an OOXML document.');
  }
  if (!(head[0] === 0x50 && head[1] === 0x4b)) return reject(`The file is not ${type.label}: it is not a ZIP container.`);

  const reader = new StorageReader(source);
  const zip = new ZipReader(reader as unknown as Reader<ByteSource>, { checkSignature: true, useWebWorkers: false });
  try {
    const bounds = await readDirectoryBounds(source);
  if (!bounds) return reject(`The file is not ${type.label}: it has no ZIP directory.`);
  if (bounds.entries > ZIP_LIMITS.maxEntries) return reject(`The ZIP container has ${bounds.entries} entries, more than any office document.`);
  if (bounds.directoryBytes > ZIP_LIMITS.maxCentralDirectoryBytes) return reject('The ZIP directory is implausibly large.');

  let entries: Entry[];
    try {
      entries = await zip.getEntries();
    } catch (error) {
      if (reader.storageFailure) throw reader.storageFailure;
      return reject(`The file is not ${type.label}: its ZIP directory is unreadable.`);
    }

    if (entries.length === 0) return reject('The ZIP container is empty.');
    if (entries.length > ZIP_LIMITS.maxEntries) return reject(`The ZIP container has ${entries.length} entries, more than any office document.`);
    let total = 0;
    for (const entry of entries) {
      if (entry.encrypted) return reject('The document is encrypted.');
      const declared = entry.uncompressedSize;
      total += declared;
      const ratio = entry.compressedSize > 0 ? declared / entry.compressedSize : declared > 0 ? Infinity : 0;
      if (
        declared > ZIP_LIMITS.maxEntryUncompressedBytes ||
        total > ZIP_LIMITS.maxTotalUncompressedBytes ||
        (declared > ZIP_LIMITS.ratioAppliesAboveBytes && ratio > ZIP_LIMITS.maxRatio)
      ) {
        return reject('The ZIP container declares absurd uncompressed sizes (a ZIP bomb).');
      }
      if (MACRO_PART.test(entry.filename)) return reject('Macro-enabled documents are not accepted.');
    }
    if (total > ZIP_LIMITS.totalRatioAppliesAboveBytes && total > ZIP_LIMITS.maxRatio * source.size) {
      return reject('The ZIP container declares absurd uncompressed sizes (a ZIP bomb).');
    }

    const contentTypesEntry = entries.find((e): e is FileEntry => e.filename === '[Content_Types].xml' && !e.directory);
    if (!contentTypesEntry) return reject(`The file is not ${type.label}: it has no [Content_Types].xml.`);
    if (contentTypesEntry.uncompressedSize > ZIP_LIMITS.maxContentTypesBytes || contentTypesEntry.compressedSize > ZIP_LIMITS.maxContentTypesBytes) {
      return reject('[Content_Types].xml is implausibly large.');
    }

    let contentTypesXml: string;
    try {
      const bytes = await contentTypesEntry.getData(new LimitedWriter(ZIP_LIMITS.maxContentTypesBytes) as unknown as Writer<Uint8Array>);
      contentTypesXml = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    } catch (error) {
      if (reader.storageFailure) throw reader.storageFailure;
      return reject('[Content_Types].xml could not be read.');
    }

    const types = parseContentTypes(contentTypesXml);
    if (!types) return reject('[Content_Types].xml is not a content types list.');
    const { overrides, defaults } = types;
    if ([...overrides, ...defaults].some((o) => MACRO_CONTENT_TYPE.test(o.contentType))) {
      return reject('Macro-enabled documents are not accepted.');
    }
    const names = new Set(entries.map((e) => e.filename));
    const main = overrides.find((o) => o.contentType.toLowerCase() === type.mainPartContentType);
    if (!main) {
      const other = DOCUMENT_TYPES.find((t) => overrides.some((o) => o.contentType.toLowerCase() === t.mainPartContentType));
      return reject(other ? `The file is ${other.label}, not ${type.label}.` : `The file is not ${type.label}.`);
    }
    if (!names.has(main.partName.replace(/^\//, ''))) return reject(`The main part of ${type.label} is missing.`);
    return { ok: true };
  } finally {
    await zip.close().catch(() => undefined);
  }
}

interface PartType {
  partName: string;
  contentType: string;
}

/**
 * `[Content_Types].xml` is a flat list of empty `<Default>` and `<Override>` elements under
 * `<Types>` (ECMA-376 Part 2). Their attributes are all that is read, so a focused scan does it;
 * a general XML parser would add 21 KB gzip to the worker for this one list.
 */
const TYPES_ROOT = /<(?:[\w.-]+:)?Types[\s>]/;
// Attribute values may contain '>', so they are skipped as whole quoted strings.
const TYPE_ELEMENT = /<(?:[\w.-]+:)?(Default|Override)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/g;
const ATTRIBUTE = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const codePoint = (n: number, whole: string) => (Number.isInteger(n) && n >= 0 && n <= 0x10ffff ? String.fromCodePoint(n) : whole);
const decodeEntities = (v: string) =>
  v.replace(/&(#x[0-9a-f]{1,8}|#\d{1,10}|\w+);/gi, (whole, name: string) =>
    name.startsWith('#x') || name.startsWith('#X')
      ? codePoint(parseInt(name.slice(2), 16), whole)
      : name.startsWith('#')
        ? codePoint(parseInt(name.slice(1), 10), whole)
        : (ENTITIES[name] ?? whole),
  );

function parseContentTypes(text: string): { defaults: PartType[]; overrides: PartType[] } | null {
  if (!TYPES_ROOT.test(text)) return null;
  const defaults: PartType[] = [];
  const overrides: PartType[] = [];
  for (const [, element, rawAttributes] of text.matchAll(TYPE_ELEMENT)) {
    const attributes: Record<string, string> = {};
    for (const [, name, double, single] of (rawAttributes ?? '').matchAll(ATTRIBUTE)) {
      if (name) attributes[name] = decodeEntities(double ?? single ?? '');
    }
    const contentType = attributes.ContentType;
    if (!contentType) continue;
    if (element === 'Override' && attributes.PartName) overrides.push({ partName: attributes.PartName, contentType });
    if (element === 'Default') defaults.push({ partName: `*.${attributes.Extension ?? ''}`, contentType });
  }
  return { defaults, overrides };
}

/**
 * zip.js reading the stored object through ranged reads; remembers a storage failure. The
 * reader-only build does not export zip.js's Reader/Writer base classes, so these have the shape
 * it calls (size, readUint8Array, createReadable; writable, getData).
 */
class StorageReader {
  storageFailure: unknown;
  readonly size: number;
  constructor(private readonly source: ByteSource) {
    this.size = source.size;
  }
  async readUint8Array(index: number, length: number): Promise<Uint8Array> {
    try {
      return await this.source.read(index, Math.min(length, this.source.size - index));
    } catch (error) {
      this.storageFailure = error;
      throw error;
    }
  }
  /** An entry's compressed bytes as a stream, read in ranged chunks. */
  createReadable({ offset = 0, size = this.size - offset, chunkSize = 256 * 1024 }: { offset?: number; size?: number; chunkSize?: number } = {}) {
    let position = 0;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const length = Math.min(chunkSize, size - position);
        const chunk = length > 0 ? await this.readUint8Array(offset + position, length) : new Uint8Array(0);
        if (chunk.length > 0) controller.enqueue(chunk);
        position += chunk.length;
        if (position >= size || chunk.length === 0) controller.close();
      },
    });
  }
}

/** Collects an entry's bytes, refusing to grow past a limit (the declared size may lie). */
class LimitedWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;
  readonly writable: WritableStream<Uint8Array>;
  constructor(limit: number) {
    this.writable = new WritableStream({
      write: (chunk) => {
        this.length += chunk.length;
        if (this.length > limit) throw new Error('entry larger than allowed');
        this.chunks.push(chunk);
      },
    });
  }
  async getData(): Promise<Uint8Array> {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}
