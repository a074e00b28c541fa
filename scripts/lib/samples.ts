import { Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js/lib/zip-native.js';
import { DOCUMENT_TYPES } from '../../shared/documents';

/**
 * Sample documents for tests and for trying the service by hand: real minimal OOXML packages
 * laid out as Office writes them ([Content_Types].xml, _rels/.rels, the main part and what it
 * points to), and every kind of bad upload the service must refuse. Made here, never downloaded.
 */

const XML_HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const PKG_RELS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const OFFICE_DOC_REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument';

interface Part {
  name: string;
  content: string | Uint8Array;
}

async function zip(parts: Part[], level = 6): Promise<Uint8Array> {
  const writer = new ZipWriter(new Uint8ArrayWriter(), { useWebWorkers: false, level });
  for (const part of parts) {
    const bytes = typeof part.content === 'string' ? new TextEncoder().encode(part.content) : part.content;
    await writer.add(part.name, new Uint8ArrayReader(bytes));
  }
  return writer.close();
}

const contentTypes = (overrides: Array<[string, string]>, extraDefaults = '') =>
  `${XML_HEADER}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
  `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
  `<Default Extension="xml" ContentType="application/xml"/>${extraDefaults}` +
  overrides.map(([part, type]) => `<Override PartName="${part}" ContentType="${type}"/>`).join('') +
  `</Types>`;

const rootRels = (target: string) =>
  `${XML_HEADER}<Relationships xmlns="${PKG_RELS}"><Relationship Id="rId1" Type="${OFFICE_DOC_REL}" Target="${target}"/></Relationships>`;

const mainType = (ext: string) => {
  const type = DOCUMENT_TYPES.find((t) => t.extension === ext);
  if (!type) throw new Error(`unknown extension ${ext}`);
  return type.mainPartContentType;
};

const WORD_BODY = (text: string) =>
  `${XML_HEADER}<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>${text}</w:t></w:r></w:p></w:body></w:document>`;

export async function makeDocx(text = 'Quarterly report'): Promise<Uint8Array> {
  return zip([
    { name: '[Content_Types].xml', content: contentTypes([['/word/document.xml', mainType('.docx')]]) },
    { name: '_rels/.rels', content: rootRels('word/document.xml') },
    { name: 'word/document.xml', content: WORD_BODY(text) },
  ]);
}

export async function makePptx(): Promise<Uint8Array> {
  return zip([
    {
      name: '[Content_Types].xml',
      content: contentTypes([
        ['/ppt/presentation.xml', mainType('.pptx')],
        ['/ppt/slides/slide1.xml', 'application/vnd.openxmlformats-officedocument.presentationml.slide+xml'],
      ]),
    },
    { name: '_rels/.rels', content: rootRels('ppt/presentation.xml') },
    {
      name: 'ppt/presentation.xml',
      content: `${XML_HEADER}<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><p:sldIdLst><p:sldId id="256" r:id="rId2"/></p:sldIdLst><p:sldSz cx="9144000" cy="6858000"/></p:presentation>`,
    },
    {
      name: 'ppt/_rels/presentation.xml.rels',
      content: `${XML_HEADER}<Relationships xmlns="${PKG_RELS}"><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide1.xml"/></Relationships>`,
    },
    {
      name: 'ppt/slides/slide1.xml',
      content: `${XML_HEADER}<p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree/></p:cSld></p:sld>`,
    },
  ]);
}

export async function makeXlsx(): Promise<Uint8Array> {
  return zip([
    {
      name: '[Content_Types].xml',
      content: contentTypes([
        ['/xl/workbook.xml', mainType('.xlsx')],
        ['/xl/worksheets/sheet1.xml', 'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml'],
      ]),
    },
    { name: '_rels/.rels', content: rootRels('xl/workbook.xml') },
    {
      name: 'xl/workbook.xml',
      content: `${XML_HEADER}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    },
    {
      name: 'xl/_rels/workbook.xml.rels',
      content: `${XML_HEADER}<Relationships xmlns="${PKG_RELS}"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
    },
    {
      name: 'xl/worksheets/sheet1.xml',
      content: `${XML_HEADER}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>42</t></is></c></row></sheetData></worksheet>`,
    },
  ]);
}

/** A macro-enabled Word document (.docm) as Word writes one, to be uploaded renamed to .docx. */
export async function makeDocm(): Promise<Uint8Array> {
  return zip([
    {
      name: '[Content_Types].xml',
      content: contentTypes(
        [
          ['/word/document.xml', 'application/vnd.ms-word.document.macroEnabled.main+xml'],
          ['/word/vbaProject.bin', 'application/vnd.ms-office.vbaProject'],
        ],
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>',
      ),
    },
    { name: '_rels/.rels', content: rootRels('word/document.xml') },
    { name: 'word/document.xml', content: WORD_BODY('Enable content to continue') },
    { name: 'word/vbaProject.bin', content: crypto.getRandomValues(new Uint8Array(512)) },
  ]);
}

/**
 * A .docx in every respect except for one part of zeros that inflates 1000-fold: small on
 * the wire, enormous once unpacked.
 */
let bomb: Promise<Uint8Array> | undefined;
export function makeZipBomb(): Promise<Uint8Array> {
  bomb ??= zip(
    [
      { name: '[Content_Types].xml', content: contentTypes([['/word/document.xml', mainType('.docx')]]) },
      { name: '_rels/.rels', content: rootRels('word/document.xml') },
      { name: 'word/document.xml', content: WORD_BODY('Nothing to see') },
      { name: 'word/media/padding.bin', content: new Uint8Array(48 * 1024 * 1024) },
    ],
    9,
  );
  return bomb;
}

export function makePdf(): Uint8Array {
  return new TextEncoder().encode(
    '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
  );
}

/** The start of an OLE compound file, as a password-protected Office document is stored. */
export function makeEncryptedOffice(): Uint8Array {
  const bytes = new Uint8Array(4096);
  bytes.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
  return bytes;
}

export function makeRandomBytes(size = 4096): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(size));
}

export async function makeAllSamples(): Promise<Record<string, Uint8Array>> {
  const xlsx = await makeXlsx();
  return {
    'report.docx': await makeDocx(),
    'slides.pptx': await makePptx(),
    'figures.xlsx': xlsx,
    'macro-renamed.docx': await makeDocm(),
    'pdf-renamed.docx': makePdf(),
    'xlsx-declared-as.docx': xlsx,
    'zip-bomb.docx': await makeZipBomb(),
    'encrypted.docx': makeEncryptedOffice(),
    'random-bytes.docx': makeRandomBytes(),
  };
}

/** An .xlsx carrying an Excel 4.0 macro sheet: no VBA, still macros. */
export async function makeXlsxWithMacroSheet(): Promise<Uint8Array> {
  return zip([
    {
      name: '[Content_Types].xml',
      content: contentTypes([
        ['/xl/workbook.xml', mainType('.xlsx')],
        ['/xl/macrosheets/sheet1.xml', 'application/vnd.ms-excel.macrosheet+xml'],
      ]),
    },
    { name: '_rels/.rels', content: rootRels('xl/workbook.xml') },
    { name: 'xl/workbook.xml', content: `${XML_HEADER}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>` },
    {
      name: 'xl/macrosheets/sheet1.xml',
      content: `${XML_HEADER}<xm:macrosheet xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"/>`,
    },
  ]);
}

/** A .docx whose VBA part is declared by an element with a '>' inside an earlier attribute. */
export async function makeDocxWithHiddenVba(): Promise<Uint8Array> {
  const types = contentTypes([['/word/document.xml', mainType('.docx')]]).replace(
    '</Types>',
    '<Override Note=">" PartName="/word/code.bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
  );
  return zip([
    { name: '[Content_Types].xml', content: types },
    { name: '_rels/.rels', content: rootRels('word/document.xml') },
    { name: 'word/document.xml', content: WORD_BODY('hello') },
    { name: 'word/code.bin', content: new Uint8Array(64) },
  ]);
}

/** A .docx whose content-types list carries an extra attribute with the given raw text. */
export async function makeDocxWithContentTypesNote(note: string): Promise<Uint8Array> {
  const types = contentTypes([['/word/document.xml', mainType('.docx')]]).replace(
    '<Default Extension="xml"',
    `<Default Note="${note}" Extension="xml"`,
  );
  return zip([
    { name: '[Content_Types].xml', content: types },
    { name: '_rels/.rels', content: rootRels('word/document.xml') },
    { name: 'word/document.xml', content: WORD_BODY('hello') },
  ]);
}

/** A .docx with `count` small media parts, for tests that rewrite what the directory declares. */
export async function makeDocxWithParts(count: number): Promise<Uint8Array> {
  return zip([
    { name: '[Content_Types].xml', content: contentTypes([['/word/document.xml', mainType('.docx')]]) },
    { name: '_rels/.rels', content: rootRels('word/document.xml') },
    { name: 'word/document.xml', content: WORD_BODY('hello') },
    ...Array.from({ length: count }, (_, i) => ({ name: `word/media/part${i}.bin`, content: new Uint8Array(1024) })),
  ]);
}

/**
 * Rewrites what a ZIP's directory declares (entry count, an entry's sizes) without touching the
 * data: how malicious archives lie, made reproducible.
 */
export function patchZip(
  input: Uint8Array,
  patch: { entries?: number; entry?: (name: string) => { compressedSize?: number; uncompressedSize?: number } },
): Uint8Array {
  const bytes = input.slice();
  const view = new DataView(bytes.buffer);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= 0; i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a ZIP');
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  for (let n = 0; n < count; n++) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new Error('bad central directory');
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    const change = patch.entry?.(name) ?? {};
    if (change.compressedSize !== undefined) view.setUint32(at + 20, change.compressedSize, true);
    if (change.uncompressedSize !== undefined) view.setUint32(at + 24, change.uncompressedSize, true);
    at += 46 + nameLength + extraLength + commentLength;
  }
  if (patch.entries !== undefined) {
    const declared = Math.min(patch.entries, 0xffff);
    view.setUint16(eocd + 8, declared, true);
    view.setUint16(eocd + 10, declared, true);
    if (patch.entries > 0xffff) return withZip64Count(bytes, eocd, patch.entries);
  }
  return bytes;
}

/** Appends ZIP64 end records declaring `entries`, as an archive claiming that many would. */
function withZip64Count(bytes: Uint8Array, eocd: number, entries: number): Uint8Array {
  const view = new DataView(bytes.buffer);
  const directorySize = view.getUint32(eocd + 12, true);
  const directoryOffset = view.getUint32(eocd + 16, true);
  const record = new Uint8Array(56 + 20);
  const r = new DataView(record.buffer);
  r.setUint32(0, 0x06064b50, true);
  r.setBigUint64(4, 44n, true);
  r.setUint16(12, 45, true);
  r.setUint16(14, 45, true);
  r.setBigUint64(24, BigInt(entries), true);
  r.setBigUint64(32, BigInt(entries), true);
  r.setBigUint64(40, BigInt(directorySize), true);
  r.setBigUint64(48, BigInt(directoryOffset), true);
  r.setUint32(56, 0x07064b50, true);
  r.setBigUint64(64, BigInt(eocd), true);
  r.setUint32(72, 1, true);
  const out = new Uint8Array(bytes.length + record.length);
  out.set(bytes.subarray(0, eocd));
  out.set(record, eocd);
  out.set(bytes.subarray(eocd), eocd + record.length);
  return out;
}
