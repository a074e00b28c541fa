import { describe, expect, it } from 'vitest';
import * as samples from '../scripts/lib/samples';
import { type ByteSource, DOCUMENT_TYPES, expansionCap, verifyOfficeDocument as verify } from '../shared/documents';
import { crc32 } from '../shared/ooxml/crc32';
import { source } from './helpers/byte-source';

const CEILING = 200 * 1024 * 1024;
const verifyOfficeDocument = (src: ByteSource, t: Parameters<typeof verify>[1]) =>
  verify(src, t, { maxExpandedBytes: expansionCap(src.size, CEILING) });

const type = (ext: string) => {
  const t = DOCUMENT_TYPES.find((d) => d.extension === ext);
  if (!t) throw new Error(ext);
  return t;
};

describe('verifyOfficeDocument', () => {
  it.each([
    ['.docx', samples.makeDocx],
    ['.pptx', samples.makePptx],
    ['.xlsx', samples.makeXlsx],
  ])('accepts a real %s', async (ext, make) => {
    expect(await verifyOfficeDocument(source(await make()).src, type(ext))).toEqual({ ok: true });
  });

  it.each([
    ['a macro-enabled document renamed to .docx', () => samples.makeDocm(), '.docx', /contains macros/],
    ['a PDF renamed to .docx', async () => samples.makePdf(), '.docx', /not a ZIP container/],
    ['an .xlsx declared as .docx', () => samples.makeXlsx(), '.docx', /is an Excel workbook, not a Word document/],
    ['a .docx declared as .pptx', () => samples.makeDocx(), '.pptx', /Word document, not a PowerPoint/],
    ['a ZIP bomb', () => samples.makeZipBomb(), '.docx', /ZIP bomb/],
    ['an encrypted (OLE) Office file', async () => samples.makeEncryptedOffice(), '.docx', /encrypted or legacy/],
    ['random bytes', async () => samples.makeRandomBytes(), '.docx', /not a ZIP container/],
    ['a truncated .docx', async () => (await samples.makeDocx()).slice(0, 200), '.docx', /no ZIP directory/],
    ['a file of 10 bytes', async () => new Uint8Array(10), '.docx', /too small/],
  ])('rejects %s with a reason', async (_label, make, ext, reason) => {
    const verdict = await verifyOfficeDocument(source(await make()).src, type(ext));
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toMatch(reason);
  });

  it.each([
    ['an .xlsx with an Excel 4.0 macro sheet', () => samples.makeXlsxWithMacroSheet(), '.xlsx', /contains macros/],
    ['a VBA part hidden behind a ">" inside an attribute', () => samples.makeDocxWithHiddenVba(), '.docx', /contains macros/],
  ])('rejects %s', async (_label, make, ext, reason) => {
    const verdict = await verifyOfficeDocument(source(await make()).src, type(ext));
    expect(verdict).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });

  it('rejects, without reading it, a directory that declares more entries than any document', async () => {
    const s = source(samples.patchZip(await samples.makeDocx(), { entries: 300_000 }));
    expect(await verifyOfficeDocument(s.src, type('.docx'))).toEqual({ ok: false, reason: expect.stringMatching(/300000 entries/) });
    expect(s.bytesRead()).toBeLessThan(5_000);
  });

  it('rejects a [Content_Types].xml whose compressed size is over the cap, before inflating it', async () => {
    const bytes = samples.patchZip(await samples.makeDocx(), {
      entry: (name) => (name === '[Content_Types].xml' ? { compressedSize: 20 * 1024 * 1024 } : {}),
    });
    // Refused from the directory alone: it claims more bytes than lie between it and the next entry.
    expect(await verifyOfficeDocument(source(bytes).src, type('.docx'))).toEqual({
      ok: false,
      reason: expect.stringMatching(/larger than the space it occupies/),
    });
  });

  it('rejects many entries that are each under the per-entry limit but add up to a bomb', async () => {
    const many = await samples.makeDocxWithParts(250);
    const bytes = samples.patchZip(many, {
      entry: (name) => (name.startsWith('word/media/') ? { uncompressedSize: Math.floor(7.9 * 1024 * 1024) } : {}),
    });
    expect(await verifyOfficeDocument(source(bytes).src, type('.docx'))).toEqual({ ok: false, reason: expect.stringMatching(/ZIP bomb/) });
  });

  it('turns a malformed character reference into a rejection, not an exception', async () => {
    const verdict = await verifyOfficeDocument(source(await samples.makeDocxWithContentTypesNote('&#99999999;')).src, type('.docx'));
    expect(verdict).toEqual({ ok: false, reason: expect.stringMatching(/not well-formed XML/) });
  });

  it('reads the package once, as a stream, plus its directory and content types', async () => {
    // Incompressible text: the document is as large on the wire as in the package.
    const noise = Array.from({ length: 12 }, () =>
      Array.from(crypto.getRandomValues(new Uint8Array(60_000)), (b) => (b % 36).toString(36)).join(''),
    ).join('');
    const padded = await samples.makeDocx(noise);
    expect(padded.length).toBeGreaterThan(400_000);
    const s = source(padded);
    expect(await verifyOfficeDocument(s.src, type('.docx'))).toEqual({ ok: true });
    // One pass over the entries, the end record (at most 64 KB + 22), the directory, [Content_Types].xml.
    expect(s.bytesRead()).toBeLessThan(padded.length + 70_000);
  });

  describe('memory stays bounded inside one XML part', () => {
    const roomy = (bytes: Uint8Array) => verify(source(bytes).src, type('.docx'), { maxExpandedBytes: 64 * 1024 * 1024 });

    it('refuses a text run of 9 MiB instead of holding it (the parser would keep it whole)', async () => {
      const verdict = await roomy(await samples.makeDocx('a'.repeat(9 * 1024 * 1024)));
      expect(verdict).toEqual({ ok: false, reason: expect.stringMatching(/XML token or nesting far beyond/) });
    });

    it('refuses a comment of 9 MiB, which a "<" inside cannot split', async () => {
      const verdict = await roomy(await samples.makeDocx(`</w:t><!--${'<a'.repeat(4.5 * 1024 * 1024)}--><w:t>`));
      expect(verdict).toEqual({ ok: false, reason: expect.stringMatching(/XML token or nesting far beyond/) });
    });

    it('refuses nesting 2,000 deep', async () => {
      const verdict = await roomy(await samples.makeDocx(`</w:t>${'<x>'.repeat(2000)}${'</x>'.repeat(2000)}<w:t>`));
      expect(verdict).toEqual({ ok: false, reason: expect.stringMatching(/XML token or nesting far beyond/) });
    });

    it('accepts a long but ordinary run (1 MiB of text)', async () => {
      expect(await roomy(await samples.makeDocx('word '.repeat(200 * 1024)))).toEqual({ ok: true });
    });
  });
});

describe('crc32', () => {
  it('gives the check value of CRC-32/ISO-HDLC, whole or in pieces', () => {
    const bytes = new TextEncoder().encode('123456789');
    expect(crc32(bytes)).toBe(0xcbf43926);
    expect(crc32(bytes.subarray(5), crc32(bytes.subarray(0, 5)))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});
