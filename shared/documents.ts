import { concatBytes } from './bytes';
import { DOCUMENT_TYPES, type DocumentType } from './document-types';
import {
  CFB_MAGIC,
  DDE_FIELD,
  EXTERNAL_ALLOWED,
  EXTERNAL_HYPERLINK_SCHEME,
  FINDING_REASONS,
  findingForContentType,
  findingForPartName,
  NS,
  REFUSED_RELATIONSHIPS,
} from './ooxml/rules';
import { attributeKey, type XmlElement, type XmlHandler, XmlPart } from './ooxml/xml';
import { type ByteSource, Refusal, readZipDirectory, readZipEntries, readZipEntry, SourceFailure, type ZipEntry } from './ooxml/zip';

export { DOCUMENT_TYPES, type DocumentType, documentTypeForFilename } from './document-types';
export type { ByteSource } from './ooxml/zip';

/**
 * What an uploaded office document must be, and the check of the stored bytes against it.
 *
 * The whole package is read, once, as a stream: the ZIP structure (shared/ooxml/zip.ts), every
 * entry inflated within bounds and checked against its CRC, every XML part parsed
 * (shared/ooxml/xml.ts), and the package judged by its content types and relationships
 * (shared/ooxml/rules.ts). Where anything is unsure, the file is refused.
 */

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
  // An embedded package may be any OOXML package (a chart's workbook, a Visio drawing): its main
  // part is whatever its _rels/.rels opens. The upload itself must be what it was declared as.
  const type =
    declared !== 'embedded' ? declared : DOCUMENT_TYPES.find((t) => types.all().some((c) => c.toLowerCase() === t.mainPartContentType));
  let mainPart: string | undefined;
  if (type) {
    const mainParts = [...types.overrides].filter(([, t]) => t.toLowerCase() === type.mainPartContentType);
    if (mainParts.length === 0) {
      const other = DOCUMENT_TYPES.find((t) => types.all().some((c) => c.toLowerCase() === t.mainPartContentType));
      throw new Refusal(other ? `The file is ${other.label}, not ${type.label}.` : `The file is not ${type.label}.`);
    }
    if (mainParts.length > 1) throw new Refusal(`The file declares more than one main part; it is not ${type.label}.`);
    mainPart = (mainParts[0] as [string, string])[0];
    if (!parts.has(mainPart)) throw new Refusal(`The main part of ${type.label} is missing.`);
  }

  // One pass over every entry: structure, bounds, CRC, and every XML part parsed.
  const relationships = new RelationshipJudge(mainPart);
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
      const isXml = entry !== typesEntry && (isXmlContentType(contentType) || /\.(xml|rels)$/i.test(entry.name));
      const part = isXml ? new XmlPart(entry.name, new PartWatcher(entry.name, relationships)) : undefined;
      xml = part;
      // The first bytes say what a part really is, however the inflater splits them into chunks.
      let head: Uint8Array | undefined = new Uint8Array(0);
      const sniff = (bytes: Uint8Array) => {
        if (CFB_MAGIC.every((b, i) => bytes[i] === b)) throw new Refusal(FINDING_REASONS.OLE);
        // An embedded package (a chart's workbook) is judged by the same rules as the upload.
        if (!part && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) embedded = [];
      };
      const take = (chunk: Uint8Array) => {
        part?.write(chunk);
        if (embedded) {
          embeddedBytes += chunk.length;
          if (embeddedBytes > ZIP_LIMITS.maxEmbeddedPackageBytes) throw new Refusal('The document embeds a package too large to verify.');
          embedded.push(chunk.slice());
        }
      };
      return {
        data(chunk: Uint8Array) {
          if (!head) return take(chunk);
          head = concatBytes([head, chunk]);
          if (head.length < CFB_MAGIC.length) return;
          const bytes = head;
          head = undefined;
          sniff(bytes);
          take(bytes);
        },
        end() {
          if (head && head.length > 0) {
            sniff(head);
            take(head);
          }
        },
      };
    },
    async (entry, visitor) => {
      visitor?.end();
      xml?.close();
      if (embedded) {
        if (depth >= ZIP_LIMITS.maxEmbeddingDepth) throw new Refusal('The document nests embedded packages deeper than office suites do.');
        const bytes = concatBytes(embedded);
        embedded = undefined;
        await inspectPackage(
          memorySource(bytes),
          'embedded',
          { ...limits, maxExpandedBytes: expansionCap(bytes.length, limits.maxExpandedBytes) },
          depth + 1,
        );
      }
      void entry;
    },
  );

  relationships.assertComplete();
  if (untyped.length > 0)
    throw new Refusal(`Entry ${JSON.stringify(untyped[0])} has no content type in [Content_Types].xml, so it is not a valid package.`);
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

/**
 * Every relationship is judged as it is read (nothing accumulates, whatever the part's size):
 * its type against the table of refused ones, its target against what may point outside, and
 * the package's own `officeDocument` relationship against the declared main part.
 */
class RelationshipJudge {
  private officeDocuments = 0;
  constructor(private readonly mainPart: string | undefined) {}

  judge(source: string, type: string, target: string, external: boolean): void {
    const kind = type.slice(type.lastIndexOf('/') + 1).toLowerCase();
    const finding = REFUSED_RELATIONSHIPS[kind];
    if (finding) throw new Refusal(FINDING_REASONS[finding]);
    if (external) {
      if (!EXTERNAL_ALLOWED.has(kind)) {
        throw new Refusal(
          `The document refers to an external ${kind || 'resource'} (${JSON.stringify(target.slice(0, 100))}); only hyperlinks may point outside it.`,
        );
      }
      // A hyperlink to a program, a file share or an exotic scheme runs or leaks on a click.
      if (!EXTERNAL_HYPERLINK_SCHEME.test(target.trim())) {
        throw new Refusal(
          `The document has an external hyperlink to ${JSON.stringify(target.slice(0, 100))}; only http, https and mailto links are accepted.`,
        );
      }
      return;
    }
    const resolved = resolveTarget(source, target);
    if (source === '' && kind === 'officedocument') {
      this.officeDocuments += 1;
      if (this.mainPart !== undefined && resolved !== this.mainPart) {
        throw new Refusal('The package opens a different part than the one it declares as its main part.');
      }
    }
    // A missing target is tolerated (Office ignores it); what a target is has been judged by its
    // content type, its bytes and its own relationships.
  }

  assertComplete(): void {
    if (this.officeDocuments !== 1) throw new Refusal('The package does not name exactly one main part in _rels/.rels.');
  }
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
 * is a Relationships element, and in every `.rels` part, which must have one), Word fields that
 * use DDE, and workbook DDE or OLE links. Namespaces decide, never prefixes.
 */
class PartWatcher implements XmlHandler {
  /**
   * The Word fields open at this point (fields nest). Word reads every character between a
   * field's begin and its separator as the field's code, whatever element holds it, so all text
   * there counts; only the code's first word is kept, which is what decides the field's kind.
   */
  private fields: Array<{ code: boolean; keyword: string; decided: boolean }> = [];
  private instructionText = 0;
  /** Inside an element whose text Word reads: w:t, w:delText, w:instrText, w:delInstrText. */
  private inText = 0;
  private readonly relationshipSource: string;
  private isRelationships = false;

  constructor(
    private readonly name: string,
    private readonly relationships: RelationshipJudge,
  ) {
    // word/_rels/document.xml.rels belongs to word/document.xml; _rels/.rels to the package.
    const match = /^(.*?)_rels\/([^/]*)\.rels$/i.exec(name);
    this.relationshipSource = match ? `${match[1] ?? ''}${match[2] ?? ''}`.toLowerCase() : name.toLowerCase();
  }

  /** Relationships, Word parts (fields) and workbook external links are read whole. */
  wholePart(root: XmlElement) {
    const relationshipsRoot = root.uri === NS.relationships && root.local === 'Relationships';
    if (/\.rels$/i.test(this.name) && !relationshipsRoot)
      throw new Refusal(`The relationships in ${JSON.stringify(this.name)} are malformed.`);
    return (
      relationshipsRoot ||
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
      judgeFieldKeyword(firstWord(element.attributes.get(attributeKey(element.uri, 'instr')) ?? ''));
    } else if (element.local === 'fldChar') {
      const kind = element.attributes.get(attributeKey(element.uri, 'fldCharType'));
      const field = this.fields.at(-1);
      if (kind === 'begin') {
        // A field whose first word would come from another field's result is computed: refused.
        if (field?.code && !field.decided) throw new Refusal('The document has a field whose instruction is computed by another field.');
        if (this.fields.length >= MAX_OPEN_FIELDS) throw new Refusal('The document nests fields deeper than office suites do.');
        this.fields.push({ code: true, keyword: '', decided: false });
      } else if (kind === 'separate' || kind === 'end') {
        if (field?.code) this.decide(field);
        if (field) field.code = false;
        if (kind === 'end') this.fields.pop();
      }
    } else if (element.local === 'instrText' || element.local === 'delInstrText') {
      this.instructionText += 1;
      this.inText += 1;
    } else if (element.local === 't' || element.local === 'delText') {
      this.inText += 1;
    }
  }

  close(element: XmlElement) {
    if (!(NS.wordprocessingml as readonly string[]).includes(element.uri)) return;
    if (element.local === 't' || element.local === 'delText') this.inText -= 1;
    if (element.local === 'instrText' || element.local === 'delInstrText') {
      this.instructionText -= 1;
      this.inText -= 1;
      // Instruction text outside any field is judged on its own.
      if (this.fields.length === 0) this.standalone = '';
    }
  }

  private standalone = '';

  text(text: string) {
    // Layout whitespace between elements is not text Word reads.
    if (this.inText === 0) return;
    const field = this.fields.at(-1);
    if (field?.code) {
      if (field.decided) return;
      field.keyword += text;
      // The first word is complete once something follows it.
      if (/^\s*["']?[A-Za-z]+[^A-Za-z]/.test(field.keyword) || field.keyword.length > 64) this.decide(field);
    } else if (this.instructionText > 0) {
      this.standalone = (this.standalone + text).slice(0, 64);
      judgeFieldKeyword(firstWord(this.standalone));
    }
  }

  private decide(field: { keyword: string; decided: boolean }) {
    field.decided = true;
    judgeFieldKeyword(firstWord(field.keyword));
  }

  private addRelationship(element: XmlElement) {
    const type = element.attributes.get('Type');
    const target = element.attributes.get('Target');
    const mode = element.attributes.get('TargetMode') ?? 'Internal';
    if (!type || target === undefined || (mode !== 'Internal' && mode !== 'External')) {
      throw new Refusal(`The relationships in ${JSON.stringify(this.name)} are malformed.`);
    }
    this.relationships.judge(this.relationshipSource, type, target, mode === 'External');
  }
}

/** Fields nest a few levels deep in real documents; each open one costs a little. */
const MAX_OPEN_FIELDS = 64;

/** A field code's first word, which names the field (`DDEAUTO`, `HYPERLINK`, `ADDIN`…). */
const firstWord = (code: string) => /^\s*["']?([A-Za-z]+)/.exec(code)?.[1] ?? '';

function judgeFieldKeyword(keyword: string) {
  if (DDE_FIELD.test(keyword)) {
    throw new Refusal('The document contains a DDE field, which runs other programs when the document opens; it is not accepted.');
  }
}
