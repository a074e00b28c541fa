import { describe, expect, it } from 'vitest';
import { type ByteSource, DOCUMENT_TYPES, verifyOfficeDocument } from '../shared/documents';
import * as samples from '../scripts/lib/samples';

/** The verifier on real generated documents, read through a byte source that counts what it reads. */
function source(bytes: Uint8Array) {
  const reads: Array<[number, number]> = [];
  const src: ByteSource = {
    size: bytes.length,
    async read(offset, length) {
      reads.push([offset, length]);
      return bytes.slice(offset, offset + length);
    },
  };
  return { src, reads, bytesRead: () => reads.reduce((n, [, l]) => n + l, 0) };
}

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
    ['a macro-enabled document renamed to .docx', () => samples.makeDocm(), '.docx', /Macro-enabled/],
    ['a PDF renamed to .docx', async () => samples.makePdf(), '.docx', /not a ZIP container/],
    ['an .xlsx declared as .docx', () => samples.makeXlsx(), '.docx', /is an Excel workbook, not a Word document/],
    ['a .docx declared as .pptx', () => samples.makeDocx(), '.pptx', /Word document, not a PowerPoint/],
    ['a ZIP bomb', () => samples.makeZipBomb(), '.docx', /ZIP bomb/],
    ['an encrypted (OLE) Office file', async () => samples.makeEncryptedOffice(), '.docx', /encrypted or legacy/],
    ['random bytes', async () => samples.makeRandomBytes(), '.docx', /not a ZIP container/],
    ['a truncated .docx', async () => (await samples.makeDocx()).slice(0, 200), '.docx', /unreadable/],
    ['a file of 10 bytes', async () => new Uint8Array(10), '.docx', /too small/],
  ])('rejects %s with a reason', async (_label, make, ext, reason) => {
    const verdict = await verifyOfficeDocument(source(await make()).src, type(ext));
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toMatch(reason);
  });

  it('reads only the directory and [Content_Types].xml, not the whole file', async () => {
    const bomb = await samples.makeZipBomb();
    // Incompressible text: the document is as large on the wire as in the package.
    const noise = Array.from({ length: 5 }, () => Array.from(crypto.getRandomValues(new Uint8Array(60_000)), (b) => (b % 36).toString(36)).join('')).join('');
    const padded = await samples.makeDocx(noise);
    expect(padded.length).toBeGreaterThan(150_000);
    for (const bytes of [bomb, padded]) {
      const s = source(bytes);
      await verifyOfficeDocument(s.src, type('.docx'));
      expect(s.bytesRead()).toBeLessThan(Math.max(70_000, bytes.length / 2));
    }
  });
});
