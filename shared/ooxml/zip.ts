import { concatBytes } from '../bytes';
import { crc32 } from './crc32';

/**
 * A strict reader for the ZIP container of an OOXML package.
 *
 * Written here rather than taken from a ZIP library on purpose: a library's job is to open
 * whatever it is given (zip.js, for one, quietly re-bases offsets when bytes were prepended, and
 * reads CP437 names), while this one's job is to refuse every archive that two readers could
 * understand differently. It refuses data before the first entry or between entries, names that
 * are ambiguous or unsafe, duplicate names, local headers that disagree with the directory,
 * entries that inflate past their declared size or fail their CRC, and more than a cap of output
 * in total. It reads the directory with ranged reads and every entry in one streaming pass, so
 * memory stays flat whatever the file's size.
 */

/** Random-access and streaming reads of the stored object. */
export interface ByteSource {
  size: number;
  /** Bytes [offset, offset + length), at most a few MB (the directory, the end record). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Bytes [offset, offset + length) as a stream, for the single pass over the entries. */
  stream(offset: number, length: number): Promise<ReadableStream<Uint8Array>>;
}

/** What is wrong with the bytes, in words a person reads. Thrown inside, returned as a verdict. */
export class Refusal extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'Refusal';
  }
}

export interface ZipLimits {
  maxEntries: number;
  maxDirectoryBytes: number;
  /** What every entry together may inflate to. */
  maxExpandedBytes: number;
}

export interface ZipEntry {
  /** As stored (validated: UTF-8, no `\`, no control characters, no `..`). */
  name: string;
  /** Lower-case, percent-decoded: what two names must not share. */
  key: string;
  rawName: Uint8Array;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  localOffset: number;
  /** Where the next entry (or the directory) starts: the entry owns [localOffset, end). */
  end: number;
  directory: boolean;
}

export interface ZipDirectory {
  entries: ZipEntry[];
  /** Where the central directory starts: every entry lies before it. */
  directoryOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_ZIP64_END = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_DESCRIPTOR = 0x08074b50;
const FLAG_ENCRYPTED = 0x1;
const FLAG_DESCRIPTOR = 0x8;
const FLAG_STRONG_ENCRYPTION = 0x40;
const FLAG_UTF8 = 0x800;
const FLAG_MASKED_HEADER = 0x2000;
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;
const EXTRA_ZIP64 = 0x0001;
const EXTRA_UNICODE_PATH = 0x7075;
const MAX32 = 0xffffffff;

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const u64 = (v: DataView, at: number) => {
  const n = v.getBigUint64(at, true);
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(n);
};
const printable = (name: string) => JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);

/** Reads and checks the end record and the central directory. */
export async function readZipDirectory(source: ByteSource, limits: ZipLimits): Promise<ZipDirectory> {
  const end = await findEndRecord(source);
  if (end.entries > limits.maxEntries) throw new Refusal(`The ZIP container has ${end.entries} entries, more than any office document.`);
  if (end.directoryBytes > limits.maxDirectoryBytes) throw new Refusal('The ZIP directory is implausibly large.');
  // The directory must end exactly where the end records begin: anything between is data no
  // entry owns, and a directory placed elsewhere means the offsets were re-based.
  if (end.directoryOffset + end.directoryBytes !== end.recordsStart) {
    throw new Refusal('The file has data outside its ZIP entries (the directory is not where the end record says).');
  }
  const bytes = await source.read(end.directoryOffset, end.directoryBytes);
  if (bytes.length !== end.directoryBytes) throw new Refusal('The ZIP directory is truncated.');
  const entries = parseCentralDirectory(bytes, end.entries);
  if (entries.length === 0) throw new Refusal('The ZIP container is empty.');

  const seen = new Map<string, string>();
  for (const entry of entries) {
    const earlier = seen.get(entry.key);
    if (earlier !== undefined) {
      throw new Refusal(
        `The package has two entries named ${printable(earlier)} and ${printable(entry.name)} (names are compared ignoring case).`,
      );
    }
    seen.set(entry.key, entry.name);
  }

  const ordered = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  if (ordered[0]?.localOffset !== 0) throw new Refusal('The file has data before the first ZIP entry.');
  let declared = 0;
  for (const [i, entry] of ordered.entries()) {
    const next = ordered[i + 1]?.localOffset ?? end.directoryOffset;
    if (next <= entry.localOffset) throw new Refusal('Two ZIP entries start at the same place.');
    entry.end = next;
    if (entry.compressedSize > next - entry.localOffset)
      throw new Refusal(`Entry ${printable(entry.name)} is larger than the space it occupies.`);
    declared += entry.uncompressedSize;
  }
  if (declared > limits.maxExpandedBytes) {
    throw new Refusal(
      `The package declares ${declared} bytes once unpacked, more than the ${limits.maxExpandedBytes} allowed for its size (a ZIP bomb).`,
    );
  }
  return { entries: ordered, directoryOffset: end.directoryOffset };
}

interface EndRecord {
  entries: number;
  directoryBytes: number;
  directoryOffset: number;
  /** Where the end records (ZIP64 ones included) begin. */
  recordsStart: number;
}

async function findEndRecord(source: ByteSource): Promise<EndRecord> {
  const tailLength = Math.min(source.size, 22 + 0xffff);
  const tailStart = source.size - tailLength;
  const tail = await source.read(tailStart, tailLength);
  const v = view(tail);
  const found: number[] = [];
  for (let i = tail.length - 22; i >= 0; i--) {
    // The end record is the one whose comment runs exactly to the end of the file.
    if (v.getUint32(i, true) === SIG_END && i + 22 + v.getUint16(i + 20, true) === tail.length) found.push(i);
  }
  if (found.length === 0) throw new Refusal('The file has no ZIP directory: it is truncated or not a ZIP container.');
  if (found.length > 1) throw new Refusal('The ZIP container has more than one end record.');
  const at = found[0] as number;
  // A comment holding ZIP records is a second archive that readers choosing another end record
  // (LibreOffice takes the last signature, whatever runs to the end) would open instead.
  const comment = tail.subarray(at + 22);
  for (let i = 0; i + 4 <= comment.length; i++) {
    if (
      comment[i] === 0x50 &&
      comment[i + 1] === 0x4b &&
      [0x0201, 0x0403, 0x0605, 0x0606, 0x0706, 0x0807].includes((comment[i + 2] as number) | ((comment[i + 3] as number) << 8))
    ) {
      throw new Refusal('The file has data outside its ZIP entries (ZIP records inside the archive comment).');
    }
  }
  const disk = v.getUint16(at + 4, true);
  const directoryDisk = v.getUint16(at + 6, true);
  const entriesHere = v.getUint16(at + 8, true);
  let entries = v.getUint16(at + 10, true);
  let directoryBytes = v.getUint32(at + 12, true);
  let directoryOffset = v.getUint32(at + 16, true);
  let recordsStart = tailStart + at;
  if (disk !== 0 || directoryDisk !== 0 || entriesHere !== entries) throw new Refusal('The ZIP container spans several disks.');

  const locatorAt = at - 20;
  const hasLocator = locatorAt >= 0 && v.getUint32(locatorAt, true) === SIG_ZIP64_LOCATOR;
  if (hasLocator) {
    const recordAt = u64(v, locatorAt + 8);
    if (v.getUint32(locatorAt + 4, true) !== 0 || v.getUint32(locatorAt + 16, true) !== 1)
      throw new Refusal('The ZIP container spans several disks.');
    if (!(recordAt >= 0 && recordAt + 56 <= tailStart + locatorAt)) throw new Refusal('The ZIP64 end record is out of place.');
    const record = await source.read(recordAt, 56);
    const r = view(record);
    // The ZIP64 record must sit right before its locator: no hidden bytes in between.
    if (record.length !== 56 || r.getUint32(0, true) !== SIG_ZIP64_END || recordAt + 12 + u64(r, 4) !== tailStart + locatorAt) {
      throw new Refusal('The ZIP64 end record is out of place.');
    }
    if (r.getUint32(16, true) !== 0 || r.getUint32(20, true) !== 0 || u64(r, 24) !== u64(r, 32))
      throw new Refusal('The ZIP container spans several disks.');
    entries = u64(r, 32);
    directoryBytes = u64(r, 40);
    directoryOffset = u64(r, 48);
    recordsStart = recordAt;
  } else if (entries === 0xffff || directoryBytes === MAX32 || directoryOffset === MAX32) {
    throw new Refusal('The ZIP end record points at a ZIP64 record that is missing.');
  }
  return { entries, directoryBytes, directoryOffset, recordsStart };
}

function parseCentralDirectory(bytes: Uint8Array, count: number): ZipEntry[] {
  const v = view(bytes);
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let n = 0; n < count; n++) {
    if (at + 46 > bytes.length || v.getUint32(at, true) !== SIG_CENTRAL) throw new Refusal('The ZIP directory is malformed.');
    const flags = v.getUint16(at + 8, true);
    const method = v.getUint16(at + 10, true);
    const crc = v.getUint32(at + 16, true);
    let compressedSize = v.getUint32(at + 20, true);
    let uncompressedSize = v.getUint32(at + 24, true);
    const nameLength = v.getUint16(at + 28, true);
    const extraLength = v.getUint16(at + 30, true);
    const commentLength = v.getUint16(at + 32, true);
    const diskStart = v.getUint16(at + 34, true);
    let localOffset = v.getUint32(at + 42, true);
    const nameEnd = at + 46 + nameLength;
    const extraEnd = nameEnd + extraLength;
    if (extraEnd + commentLength > bytes.length) throw new Refusal('The ZIP directory is malformed.');
    const rawName = bytes.slice(at + 46, nameEnd);
    const extras = readExtraFields(bytes.subarray(nameEnd, extraEnd));
    const zip64 = extras.get(EXTRA_ZIP64);
    if (zip64) {
      // Present only for the fields that overflowed, in this order.
      const z = view(zip64);
      let p = 0;
      const next = () => {
        if (p + 8 > zip64.length) throw new Refusal('The ZIP directory is malformed.');
        const value = u64(z, p);
        p += 8;
        return value;
      };
      if (uncompressedSize === MAX32) uncompressedSize = next();
      if (compressedSize === MAX32) compressedSize = next();
      if (localOffset === MAX32) localOffset = next();
    }
    if (diskStart !== 0 && diskStart !== 0xffff) throw new Refusal('The ZIP container spans several disks.');
    if (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADER)) throw new Refusal('The document is encrypted.');
    if (method !== METHOD_STORED && method !== METHOD_DEFLATED)
      throw new Refusal(`Entry ${printable(decodeLoosely(rawName))} uses a compression method office suites never write.`);
    if (method === METHOD_STORED && compressedSize !== uncompressedSize)
      throw new Refusal(`Entry ${printable(decodeLoosely(rawName))} is stored with two different sizes.`);
    if (extras.has(EXTRA_UNICODE_PATH))
      throw new Refusal(`Entry ${printable(decodeLoosely(rawName))} has an unsafe name (it carries a second, alternative name).`);
    const name = decodeName(rawName, flags);
    const directory = name.endsWith('/');
    if (directory && uncompressedSize !== 0) throw new Refusal(`Entry ${printable(name)} has an unsafe name (a folder with content).`);
    entries.push({
      name,
      key: nameKey(name),
      rawName,
      flags,
      method,
      crc,
      compressedSize,
      uncompressedSize,
      localOffset,
      end: 0,
      directory,
    });
    at = extraEnd + commentLength;
  }
  if (at !== bytes.length) throw new Refusal('The file has data outside its ZIP entries (inside the directory).');
  return entries;
}

function readExtraFields(bytes: Uint8Array): Map<number, Uint8Array> {
  const v = view(bytes);
  const fields = new Map<number, Uint8Array>();
  let at = 0;
  while (at + 4 <= bytes.length) {
    const id = v.getUint16(at, true);
    const length = v.getUint16(at + 2, true);
    if (at + 4 + length > bytes.length) throw new Refusal('The ZIP directory is malformed.');
    if (fields.has(id)) throw new Refusal('The ZIP directory is malformed (a repeated extra field).');
    fields.set(id, bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  if (at !== bytes.length) throw new Refusal('The ZIP directory is malformed.');
  return fields;
}

const decodeLoosely = (raw: Uint8Array) => new TextDecoder('utf-8', { fatal: false }).decode(raw);

/**
 * A name must mean one thing to every reader: UTF-8 (or plain ASCII, which CP437 and UTF-8
 * read alike), `/` as the only separator, no control characters, no `.`/`..`/empty segments,
 * no segment ending in a space or a dot (Windows drops those), and no percent-escape of a
 * character that needs none (OPC forbids it; `%2E` would hide a `.`).
 */
function decodeName(raw: Uint8Array, flags: number): string {
  const unsafe = (why: string, shown = decodeLoosely(raw)) => new Refusal(`Entry ${printable(shown)} has an unsafe name (${why}).`);
  let name: string;
  if (flags & FLAG_UTF8) {
    try {
      name = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw unsafe('not UTF-8');
    }
  } else {
    if (raw.some((b) => b >= 0x80)) throw unsafe('its encoding is ambiguous');
    name = decodeLoosely(raw);
  }
  if (name.length === 0) throw unsafe('empty');
  // C0 and C1 controls, DEL, and bidirectional overrides (a name that displays as something else).
  if (/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(name)) throw unsafe('a control character');
  if (name.includes('\\')) throw unsafe('a backslash');
  if (name.startsWith('/')) throw unsafe('an absolute path');
  const segments = (name.endsWith('/') ? name.slice(0, -1) : name).split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') throw unsafe('an empty, "." or ".." segment');
    if (/[ .]$/.test(segment)) throw unsafe('a trailing space or dot');
  }
  for (const [, hex] of name.matchAll(/%(.{0,2})/g)) {
    if (!/^[0-9a-f]{2}$/i.test(hex ?? '')) throw unsafe('a broken percent-escape');
    const char = String.fromCharCode(Number.parseInt(hex as string, 16));
    if (/[A-Za-z0-9\-._~/\\%]/.test(char) || char.charCodeAt(0) < 0x20)
      throw unsafe(`a percent-escaped "${char === '\u0000' ? 'NUL' : char}"`);
  }
  return name;
}

/** Two names that any reader could take for the same part. */
const nameKey = (name: string) => {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // a non-UTF-8 escape: compared as written
  }
  return decoded.normalize('NFC').toLowerCase();
};

/** What receives one entry's inflated bytes, in order, and is told when they end. */
export interface EntryVisitor {
  data(chunk: Uint8Array): void;
  end(): void;
}

/**
 * Reads the entries in file order from one stream over [0, directoryOffset): each local header
 * is checked against the directory, each entry's data is inflated (stored entries passed
 * through), stopped past its declared size, and checked against its CRC. A visitor (or a
 * `onEntryEnd`) may throw a Refusal to stop everything.
 */
export async function readZipEntries(
  source: ByteSource,
  directory: ZipDirectory,
  visit: (entry: ZipEntry) => EntryVisitor | undefined,
  onEntryEnd: (entry: ZipEntry, visitor: EntryVisitor | undefined) => void | Promise<void> = () => undefined,
): Promise<void> {
  const stream = await source.stream(0, directory.directoryOffset);
  const input = new StreamBytes(stream);
  try {
    for (const entry of directory.entries) {
      if (input.position !== entry.localOffset) throw new Refusal('The file has data outside its ZIP entries.');
      await checkLocalHeader(input, entry);
      const visitor = visit(entry);
      await inflateEntry(input, entry, visitor ? (chunk) => visitor.data(chunk) : undefined);
      if (entry.flags & FLAG_DESCRIPTOR) await checkDescriptor(input, entry);
      await onEntryEnd(entry, visitor);
      if (input.position !== entry.end) throw new Refusal('The file has data outside its ZIP entries.');
    }
  } finally {
    await input.cancel();
  }
}

/** Reads one entry's local header and data from a stream over exactly its span. */
export async function readZipEntry(source: ByteSource, entry: ZipEntry, onChunk: (chunk: Uint8Array) => void): Promise<void> {
  const input = new StreamBytes(await source.stream(entry.localOffset, entry.end - entry.localOffset));
  input.position = entry.localOffset;
  try {
    await checkLocalHeader(input, entry);
    await inflateEntry(input, entry, onChunk);
  } finally {
    await input.cancel();
  }
}

async function checkLocalHeader(input: StreamBytes, entry: ZipEntry): Promise<void> {
  const mismatch = (what: string) =>
    new Refusal(`The local header of entry ${printable(entry.name)} disagrees with the ZIP directory (${what}).`);
  const header = await input.readExact(30);
  const v = view(header);
  if (v.getUint32(0, true) !== SIG_LOCAL) throw mismatch('no local header where the directory points');
  const flags = v.getUint16(6, true);
  const method = v.getUint16(8, true);
  const crc = v.getUint32(14, true);
  let compressedSize = v.getUint32(18, true);
  let uncompressedSize = v.getUint32(22, true);
  const nameLength = v.getUint16(26, true);
  const extraLength = v.getUint16(28, true);
  const name = await input.readExact(nameLength);
  const extras = readExtraFields(await input.readExact(extraLength));
  if (name.length !== entry.rawName.length || name.some((b, i) => b !== entry.rawName[i])) throw mismatch('name');
  if ((flags & (FLAG_DESCRIPTOR | FLAG_UTF8 | FLAG_ENCRYPTED)) !== (entry.flags & (FLAG_DESCRIPTOR | FLAG_UTF8 | FLAG_ENCRYPTED)))
    throw mismatch('flags');
  if (method !== entry.method) throw mismatch('compression method');
  if (extras.has(EXTRA_UNICODE_PATH)) throw mismatch('an alternative name');
  const zip64 = extras.get(EXTRA_ZIP64);
  if (zip64 && zip64.length >= 16 && (uncompressedSize === MAX32 || compressedSize === MAX32)) {
    // In a local header the ZIP64 field holds both sizes whenever it is used.
    uncompressedSize = u64(view(zip64), 0);
    compressedSize = u64(view(zip64), 8);
  }
  if (entry.flags & FLAG_DESCRIPTOR) {
    // Sizes and CRC follow the data; the header carries zeros (or, from some writers, the values).
    const zeros = crc === 0 && (compressedSize === 0 || compressedSize === MAX32) && (uncompressedSize === 0 || uncompressedSize === MAX32);
    const same = crc === entry.crc && compressedSize === entry.compressedSize && uncompressedSize === entry.uncompressedSize;
    if (!zeros && !same) throw mismatch('sizes or CRC');
  } else {
    if (crc !== entry.crc) throw mismatch('CRC');
    if (compressedSize !== entry.compressedSize || uncompressedSize !== entry.uncompressedSize) throw mismatch('sizes');
  }
}

async function checkDescriptor(input: StreamBytes, entry: ZipEntry): Promise<void> {
  const wide = entry.compressedSize >= MAX32 || entry.uncompressedSize >= MAX32;
  const length = wide ? 20 : 12;
  let head = await input.readExact(4);
  if (view(head).getUint32(0, true) === SIG_DESCRIPTOR) head = await input.readExact(4);
  const crc = view(head).getUint32(0, true);
  const rest = view(await input.readExact(length - 4));
  const compressedSize = wide ? u64(rest, 0) : rest.getUint32(0, true);
  const uncompressedSize = wide ? u64(rest, 8) : rest.getUint32(4, true);
  if (crc !== entry.crc || compressedSize !== entry.compressedSize || uncompressedSize !== entry.uncompressedSize) {
    throw new Refusal(`The local header of entry ${printable(entry.name)} disagrees with the ZIP directory (its data descriptor).`);
  }
}

/**
 * Input is fed to the inflater in small pieces: deflate expands at most about 1032:1, so an 8 KiB
 * piece can produce at most about 8 MiB before the size check sees it.
 */
const INFLATE_PIECE = 8 * 1024;

async function inflateEntry(input: StreamBytes, entry: ZipEntry, onChunk: ((chunk: Uint8Array) => void) | undefined): Promise<void> {
  let produced = 0;
  let crc = 0;
  const take = (chunk: Uint8Array) => {
    produced += chunk.length;
    if (produced > entry.uncompressedSize)
      throw new Refusal(`Entry ${printable(entry.name)} expands to more than its declared size (a ZIP bomb).`);
    crc = crc32(chunk, crc);
    onChunk?.(chunk);
  };
  if (entry.method === METHOD_STORED) {
    for await (const chunk of input.take(entry.compressedSize)) take(chunk);
  } else {
    const inflater = new DecompressionStream('deflate-raw');
    const writer = inflater.writable.getWriter() as WritableStreamDefaultWriter<Uint8Array<ArrayBuffer>>;
    const reader = inflater.readable.getReader();
    let feedError: unknown;
    const feeding = (async () => {
      try {
        for await (const chunk of input.take(entry.compressedSize)) {
          for (let at = 0; at < chunk.length; at += INFLATE_PIECE)
            await writer.write(chunk.subarray(at, at + INFLATE_PIECE) as Uint8Array<ArrayBuffer>);
        }
        await writer.close();
      } catch (error) {
        feedError = error;
        await writer.abort(error).catch(() => undefined);
      }
    })();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        take(value);
      }
    } catch (error) {
      await reader.cancel().catch(() => undefined);
      await feeding;
      // Our own verdicts and storage failures win over whatever the inflater said after them.
      if (error instanceof Refusal || error instanceof SourceFailure) throw error;
      if (feedError instanceof Refusal || feedError instanceof SourceFailure) throw feedError;
      throw new Refusal(`Entry ${printable(entry.name)} is not valid compressed data.`);
    }
    await feeding;
    if (feedError instanceof Refusal || feedError instanceof SourceFailure) throw feedError;
    if (feedError) throw new Refusal(`Entry ${printable(entry.name)} is not valid compressed data.`);
  }
  if (produced !== entry.uncompressedSize)
    throw new Refusal(`Entry ${printable(entry.name)} holds ${produced} bytes, not its declared ${entry.uncompressedSize}.`);
  if (crc !== entry.crc) throw new Refusal(`Entry ${printable(entry.name)} fails its CRC check: the data was altered or is damaged.`);
}

/** Reading the stored object failed: an outage, never a verdict on the file. */
export class SourceFailure extends Error {
  constructor(override readonly cause: unknown) {
    super('reading the stored object failed');
    this.name = 'SourceFailure';
  }
}

/** Exact reads from a byte stream, counting the position. */
class StreamBytes {
  position = 0;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private pending: Uint8Array = new Uint8Array(0);
  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }

  private async fill(): Promise<boolean> {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await this.reader.read();
    } catch (error) {
      throw new SourceFailure(error);
    }
    const { done, value } = result;
    if (done) return false;
    this.pending = this.pending.length === 0 ? value : concatBytes([this.pending, value]);
    return true;
  }

  async readExact(length: number): Promise<Uint8Array> {
    while (this.pending.length < length) {
      if (!(await this.fill())) throw new Refusal('The ZIP container is truncated.');
    }
    const out = this.pending.subarray(0, length);
    this.pending = this.pending.subarray(length);
    this.position += length;
    return out;
  }

  /** Exactly `length` bytes, in the chunks they arrive in. */
  async *take(length: number): AsyncGenerator<Uint8Array> {
    let left = length;
    while (left > 0) {
      if (this.pending.length === 0 && !(await this.fill())) throw new Refusal('The ZIP container is truncated.');
      const piece = this.pending.subarray(0, Math.min(left, this.pending.length));
      this.pending = this.pending.subarray(piece.length);
      this.position += piece.length;
      left -= piece.length;
      yield piece;
    }
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }
}
