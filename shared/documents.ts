import {
  CFB_MAGIC,
  DDE_INSTRUCTION,
  EXTERNAL_ALLOWED,
  FINDING_REASONS,
  findingForContentType,
  findingForPartName,
  NS,
  REFUSED_RELATIONSHIPS,
} from './ooxml/rules';
import { attributeKey, type XmlElement, type XmlHandler, XmlPart } from './ooxml/xml';
import { type ByteSource, Refusal, readZipDirectory, readZipEntries, readZipEntry, SourceFailure, type ZipEntry } from './ooxml/zip';

export type { ByteSource } from './ooxml/zip';

/**
 * What an uploaded office document must be, and the check of the stored bytes against it.
 *
 * The whole package is read, once, as a stream: the ZIP structure (shared/ooxml/zip.ts), every
 * entry inflated within bounds and checked against its CRC, every XML part parsed
 * (shared/ooxml/xml.ts), and the package judged by its content types and relationships
 * (shared/ooxml/rules.ts). Where anything is unsure, the file is refused.
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

export interface VerifyLimits {
  /** What all entries together may inflate to (see `expansionCap`). */
  maxExpandedBytes: number;
  maxEntries: number;
  maxDirectoryBytes: number;
}

/** Limits that no real office document comes near. */
export const ZIP_LIMITS = {
  maxEntries: 10_000,
  /** Read whole, so bounded before it is read (10,000 entries fit in about 1 MB). */
  maxDirectoryBytes: 4 * 1024 * 1024,
  /** Read before everything else, whole: a flat list of a few hundred elements at most. */
  maxContentTypesBytes: 1024 * 1024,
  /** Expansion allowed to any file, however small: a 2 KB package of XML may well reach 40 KB. */
  minExpandedBytes: 1024 * 1024,
  expansionRatio: 20,
  /** Embedded packages (a chart's workbook) are verified in memory, so they are bounded. */
  maxEmbeddedPackageBytes: 32 * 1024 * 1024,
  maxEmbeddingDepth: 2,
};

/**
 * What a stored object of `size` bytes may inflate to: 20 times its size (office XML compresses
 * about 10:1 and media barely at all), never less than 1 MiB, never more than the configured
 * ceiling.
 */
export const expansionCap = (size: number, ceiling: number) =>
  Math.min(ceiling, Math.max(ZIP_LIMITS.minExpandedBytes, ZIP_LIMITS.expansionRatio * size));

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Errors of the storage propagate: they are an outage, not a verdict on the file. Everything
 * wrong with the bytes themselves is a rejection with a reason a person reads.
 */
export async function verifyOfficeDocument(source: ByteSource, type: DocumentType, limits: { maxExpandedBytes: number }): Promise<Verdict> {
  try {
    await inspectPackage(
      source,
      type,
      { maxEntries: ZIP_LIMITS.maxEntries, maxDirectoryBytes: ZIP_LIMITS.maxDirectoryBytes, ...limits },
      0,
    );
    return { ok: true };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, reason: error.reason };
    if (error instanceof SourceFailure) throw error.cause;
    throw error;
  }
}

interface Relationship {
  /** The part the relationship belongs to ('' for the package itself). */
  source: string;
  type: string;
  target: string;
  external: boolean;
}

/**
 * `type` is what the upload declared; for a package embedded in it (a chart's workbook) it is
 * 'any office document', told by its own main part.
 */
async function inspectPackage(source: ByteSource, declared: DocumentType | 'embedded', limits: VerifyLimits, depth: number): Promise<void> {
  const label = declared === 'embedded' ? 'an office document' : declared.label;
  if (source.size < 22) throw new Refusal('The file is too small to be an office document.');
  const head = await source.read(0, 8);
  if (CFB_MAGIC.every((b, i) => head[i] === b)) {
    throw new Refusal('The file is an encrypted or legacy (OLE) Office file, not an OOXML document.');
  }
  if (!(head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04)) {
    throw new Refusal(`The file is not ${label}: it is not a ZIP container.`);
  }

  const directory = await readZipDirectory(source, limits);
  const parts = new Map<string, ZipEntry>();
  for (const entry of directory.entries) {
    const finding = findingForPartName(entry.name);
    if (finding) throw new Refusal(FINDING_REASONS[finding]);
    if (!entry.directory) parts.set(entry.key, entry);
  }

  // The content types come first: they decide which parts are XML and what the package is.
  const typesEntry = parts.get('[content_types].xml');
  if (!typesEntry) throw new Refusal(`The file is not ${label}: it has no [Content_Types].xml.`);
  if (typesEntry.uncompressedSize > ZIP_LIMITS.maxContentTypesBytes || typesEntry.compressedSize > ZIP_LIMITS.maxContentTypesBytes) {
    throw new Refusal('[Content_Types].xml is implausibly large.');
  }
  const types = new ContentTypes();
  const typesXml = new XmlPart(typesEntry.name, types);
  await readZipEntry(source, typesEntry, (chunk) => typesXml.write(chunk));
  typesXml.close();
  types.assertComplete();

  for (const contentType of types.all()) {
    const finding = findingForContentType(contentType);
    if (finding) throw new Refusal(FINDING_REASONS[finding]);
  }
  const type =
    declared !== 'embedded' ? declared : DOCUMENT_TYPES.find((t) => types.all().some((c) => c.toLowerCase() === t.mainPartContentType));
  if (!type) throw new Refusal('The document embeds a package that is not an office document.');
  const mainParts = [...types.overrides].filter(([, t]) => t.toLowerCase() === type.mainPartContentType);
  if (mainParts.length === 0) {
    const other = DOCUMENT_TYPES.find((t) => types.all().some((c) => c.toLowerCase() === t.mainPartContentType));
    throw new Refusal(other ? `The file is ${other.label}, not ${type.label}.` : `The file is not ${type.label}.`);
  }
  if (mainParts.length > 1) throw new Refusal(`The file declares more than one main part; it is not ${type.label}.`);
  const mainPart = (mainParts[0] as [string, string])[0];
  if (!parts.has(mainPart)) throw new Refusal(`The main part of ${type.label} is missing.`);

  // One pass over every entry: structure, bounds, CRC, and every XML part parsed.
  const relationships: Relationship[] = [];
  const untyped: string[] = [];
  let xml: XmlPart | undefined;
  let embedded: Uint8Array[] | undefined;
  let embeddedBytes = 0;
  await readZipEntries(
    source,
    directory,
    (entry) => {
      xml = undefined;
      embedded = undefined;
      embeddedBytes = 0;
      if (entry.directory) return undefined;
      const contentType = types.of(entry.key);
      if (contentType === undefined && entry !== typesEntry) untyped.push(entry.name);
      let sniffed = false;
      const isXml = entry !== typesEntry && (isXmlContentType(contentType) || /\.(xml|rels)$/i.test(entry.name));
      const part = isXml ? new XmlPart(entry.name, new PartWatcher(entry.name, relationships)) : undefined;
      xml = part;
      return (chunk: Uint8Array) => {
        if (!sniffed && chunk.length > 0) {
          sniffed = true;
          if (chunk.length >= CFB_MAGIC.length && CFB_MAGIC.every((b, i) => chunk[i] === b)) throw new Refusal(FINDING_REASONS.OLE);
          // An embedded package (a chart's workbook) is judged by the same rules as the upload.
          if (!part && chunk.length >= 4 && chunk[0] === 0x50 && chunk[1] === 0x4b && chunk[2] === 0x03 && chunk[3] === 0x04) embedded = [];
        }
        part?.write(chunk);
        if (embedded) {
          embeddedBytes += chunk.length;
          if (embeddedBytes > ZIP_LIMITS.maxEmbeddedPackageBytes) throw new Refusal('The document embeds a package too large to verify.');
          embedded.push(chunk.slice());
        }
      };
    },
    async () => {
      xml?.close();
      if (embedded) {
        if (depth >= ZIP_LIMITS.maxEmbeddingDepth) throw new Refusal('The document nests embedded packages deeper than office suites do.');
        const bytes = joinChunks(embedded, embeddedBytes);
        embedded = undefined;
        await inspectPackage(
          memorySource(bytes),
          'embedded',
          { ...limits, maxExpandedBytes: expansionCap(bytes.length, limits.maxExpandedBytes) },
          depth + 1,
        );
      }
    },
  );

  judgeRelationships(relationships, parts, mainPart);
  if (untyped.length > 0)
    throw new Refusal(`Entry ${JSON.stringify(untyped[0])} has no content type in [Content_Types].xml, so it is not a valid package.`);
}

function joinChunks(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** An embedded package, already in memory (it needs random access, and it is small). */
function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, offset + length),
    stream: async (offset, length) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = offset; at < offset + length; at += 64 * 1024)
            controller.enqueue(bytes.subarray(at, Math.min(offset + length, at + 64 * 1024)));
          controller.close();
        },
      }),
  };
}

const isXmlContentType = (contentType: string | undefined) =>
  contentType !== undefined && /(\+xml|^application\/xml|^text\/xml)(;|$)/i.test(contentType.trim());

function judgeRelationships(relationships: Relationship[], parts: Map<string, ZipEntry>, mainPart: string): void {
  let officeDocuments = 0;
  for (const r of relationships) {
    const kind = r.type.slice(r.type.lastIndexOf('/') + 1).toLowerCase();
    const finding = REFUSED_RELATIONSHIPS[kind];
    if (finding) throw new Refusal(FINDING_REASONS[finding]);
    if (r.external) {
      if (!EXTERNAL_ALLOWED.has(kind)) {
        throw new Refusal(
          `The document refers to an external ${kind || 'resource'} (${JSON.stringify(r.target.slice(0, 100))}); only hyperlinks may point outside it.`,
        );
      }
      continue;
    }
    const target = resolveTarget(r.source, r.target);
    if (r.source === '' && kind === 'officedocument') {
      officeDocuments += 1;
      if (target !== mainPart) throw new Refusal('The package opens a different part than the one it declares as its main part.');
    }
    // A missing target is tolerated (Office ignores it); what the target is has been judged by its
    // content type, its bytes and its own relationships.
    void parts;
  }
  if (officeDocuments !== 1) throw new Refusal('The package does not name exactly one main part in _rels/.rels.');
}

/**
 * The part a relationship points at, as a name key; refuses targets that leave the package
 * (a scheme while claiming to be internal, `..` past the root, a backslash).
 */
function resolveTarget(sourcePart: string, target: string): string | undefined {
  const unsafe = () => new Refusal(`A relationship has an unsafe target (${JSON.stringify(target.slice(0, 100))}).`);
  const path = target.split('#')[0] ?? '';
  if (path === '') return undefined; // a link to a place inside the same part
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('//')) {
    throw new Refusal(
      `The document refers to an external resource (${JSON.stringify(target.slice(0, 100))}) while claiming it is inside the package.`,
    );
  }
  if (path.includes('\\')) throw unsafe();
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw unsafe();
  }
  const base = path.startsWith('/') ? [] : sourcePart.split('/').slice(0, -1);
  const segments = [...base];
  for (const segment of decoded.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) throw unsafe();
      segments.pop();
    } else segments.push(segment);
  }
  return segments.join('/').normalize('NFC').toLowerCase();
}

/** `[Content_Types].xml`: a `Types` root with `Default` and `Override` children, nothing else. */
class ContentTypes implements XmlHandler {
  readonly defaults = new Map<string, string>();
  readonly overrides = new Map<string, string>();
  private root = false;

  open(element: XmlElement, depth: number) {
    const refuse = (why: string) => new Refusal(`[Content_Types].xml is not a content types list (${why}).`);
    if (element.uri !== NS.contentTypes) throw refuse(`an element outside its namespace: ${element.local}`);
    if (depth === 1) {
      if (element.local !== 'Types') throw refuse(`its root is ${element.local}`);
      this.root = true;
      return;
    }
    if (depth !== 2) throw refuse('nested elements');
    const contentType = element.attributes.get('ContentType');
    if (!contentType) throw refuse('an entry without a ContentType');
    if (element.local === 'Default') {
      const extension = element.attributes.get('Extension');
      if (!extension) throw refuse('a Default without an Extension');
      const key = extension.toLowerCase();
      if (this.defaults.has(key)) throw refuse(`two Defaults for .${extension}`);
      this.defaults.set(key, contentType);
    } else if (element.local === 'Override') {
      const partName = element.attributes.get('PartName');
      if (!partName?.startsWith('/')) throw refuse('an Override without an absolute PartName');
      const key = partKey(partName.slice(1));
      if (this.overrides.has(key)) throw refuse(`two Overrides for ${partName}`);
      this.overrides.set(key, contentType);
    } else {
      throw refuse(`an unknown element ${element.local}`);
    }
  }

  assertComplete() {
    if (!this.root) throw new Refusal('[Content_Types].xml is not a content types list.');
  }

  all(): string[] {
    return [...this.defaults.values(), ...this.overrides.values()];
  }

  of(key: string): string | undefined {
    const override = this.overrides.get(key);
    if (override !== undefined) return override;
    const dot = key.lastIndexOf('.');
    return dot > key.lastIndexOf('/') ? this.defaults.get(key.slice(dot + 1)) : undefined;
  }
}

const partKey = (name: string) => {
  try {
    return decodeURIComponent(name).normalize('NFC').toLowerCase();
  } catch {
    throw new Refusal(`A part name is not a valid URI (${JSON.stringify(name.slice(0, 100))}).`);
  }
};

/**
 * Watches every XML part for what is judged inside parts: relationships (in any part whose root
 * is a Relationships element, wherever it is stored), Word fields that use DDE, and workbook DDE
 * or OLE links. Namespaces decide, never prefixes or part names.
 */
class PartWatcher implements XmlHandler {
  /** Instruction text of the Word fields open at this point (fields nest). */
  private fields: Array<{ instruction: string }> = [];
  private inInstruction = 0;
  private readonly relationshipSource: string;
  private isRelationships = false;

  constructor(
    private readonly name: string,
    private readonly relationships: Relationship[],
  ) {
    // word/_rels/document.xml.rels belongs to word/document.xml; _rels/.rels to the package.
    const match = /^(.*?)_rels\/([^/]*)\.rels$/i.exec(name);
    this.relationshipSource = match ? `${match[1] ?? ''}${match[2] ?? ''}`.toLowerCase() : name.toLowerCase();
  }

  /** Relationships, Word parts (fields) and workbook external links are read whole. */
  wholePart(root: XmlElement) {
    return (
      root.uri === NS.relationships ||
      (NS.wordprocessingml as readonly string[]).includes(root.uri) ||
      ((NS.spreadsheetml as readonly string[]).includes(root.uri) && root.local === 'externalLink')
    );
  }

  open(element: XmlElement, depth: number) {
    if (element.uri === NS.relationships) {
      if (depth === 1 && element.local === 'Relationships') this.isRelationships = true;
      else if (depth === 2 && element.local === 'Relationship' && this.isRelationships) this.addRelationship(element);
      else throw new Refusal(`The relationships in ${JSON.stringify(this.name)} are malformed.`);
      return;
    }
    if ((NS.spreadsheetml as readonly string[]).includes(element.uri)) {
      if (element.local === 'ddeLink')
        throw new Refusal('The workbook contains a DDE link, which runs other programs; it is not accepted.');
      if (element.local === 'oleLink') throw new Refusal(FINDING_REASONS.OLE);
      return;
    }
    if (!(NS.wordprocessingml as readonly string[]).includes(element.uri)) return;
    if (element.local === 'fldSimple') {
      this.judgeInstruction(element.attributes.get(attributeKey(element.uri, 'instr')) ?? '');
    } else if (element.local === 'fldChar') {
      const kind = element.attributes.get(attributeKey(element.uri, 'fldCharType'));
      if (kind === 'begin') this.fields.push({ instruction: '' });
      else if (kind === 'separate' || kind === 'end') {
        const field = this.fields.at(-1);
        if (field) this.judgeInstruction(field.instruction);
        if (kind === 'end') this.fields.pop();
      }
    } else if (element.local === 'instrText' || element.local === 'delInstrText') {
      this.inInstruction += 1;
      if (this.fields.length === 0) this.fields.push({ instruction: '' }); // text outside any field is still judged
    }
  }

  close(element: XmlElement) {
    if (
      (NS.wordprocessingml as readonly string[]).includes(element.uri) &&
      (element.local === 'instrText' || element.local === 'delInstrText')
    ) {
      this.inInstruction -= 1;
      const field = this.fields.at(-1);
      if (field) this.judgeInstruction(field.instruction);
    }
  }

  text(text: string) {
    if (this.inInstruction === 0) return;
    // Nested fields' text belongs to every field around them too.
    for (const field of this.fields) field.instruction = (field.instruction + text).slice(-4096);
  }

  private judgeInstruction(instruction: string) {
    if (DDE_INSTRUCTION.test(instruction)) {
      throw new Refusal('The document contains a DDE field, which runs other programs when the document opens; it is not accepted.');
    }
  }

  private addRelationship(element: XmlElement) {
    const type = element.attributes.get('Type');
    const target = element.attributes.get('Target');
    const mode = element.attributes.get('TargetMode') ?? 'Internal';
    if (!type || target === undefined || (mode !== 'Internal' && mode !== 'External')) {
      throw new Refusal(`The relationships in ${JSON.stringify(this.name)} are malformed.`);
    }
    this.relationships.push({ source: this.relationshipSource, type, target, external: mode === 'External' });
  }
}
