/**
 * What an office document may not carry, judged by what Office acts on: relationship types,
 * content types and a few elements, never file names. Every rule here refuses; nothing is
 * repaired or stripped.
 */

/** Transitional (ECMA-376) and Strict (ISO 29500) spellings of the namespaces that matter. */
export const NS = {
  contentTypes: 'http://schemas.openxmlformats.org/package/2006/content-types',
  relationships: 'http://schemas.openxmlformats.org/package/2006/relationships',
  wordprocessingml: ['http://schemas.openxmlformats.org/wordprocessingml/2006/main', 'http://purl.oclc.org/ooxml/wordprocessingml/main'],
  spreadsheetml: ['http://schemas.openxmlformats.org/spreadsheetml/2006/main', 'http://purl.oclc.org/ooxml/spreadsheetml/main'],
} as const;

export type Finding = 'macros' | 'ActiveX' | 'OLE';

export const FINDING_REASONS: Record<Finding, string> = {
  macros: 'The document contains macros (VBA or Excel 4.0 macro sheets); macro-enabled documents are not accepted.',
  ActiveX: 'The document contains ActiveX controls, which run code; they are not accepted.',
  OLE: 'The document contains an embedded or linked OLE object, which can run code; they are not accepted.',
};

/**
 * Relationship types refused wherever they appear and whatever their target is called, keyed by
 * the last segment of the type URI, lower-cased, so the Transitional (schemas.openxmlformats.org),
 * Strict (purl.oclc.org) and Microsoft (schemas.microsoft.com) spellings are all caught.
 */
export const REFUSED_RELATIONSHIPS: Record<string, Finding> = {
  // The VBA project itself: the code of a macro-enabled document, whatever the part is named.
  vbaproject: 'macros',
  // Signatures over a VBA project: present only beside one.
  vbaprojectsignature: 'macros',
  vbaprojectsignatureagile: 'macros',
  vbaprojectsignaturev3: 'macros',
  // Word's store of VBA-related data (the project's attached data for macro-enabled templates).
  wordvbadata: 'macros',
  // Word keyboard shortcuts, which exist to bind keys to macros.
  keymapcustomizations: 'macros',
  // Toolbars and command bars attached to a document, whose buttons run macros.
  attachedtoolbars: 'macros',
  // Excel 4.0 (XLM) macro sheets: formulas that run code without any VBA.
  xlmacrosheet: 'macros',
  xlintlmacrosheet: 'macros',
  // Excel 5 dialog sheets: forms that only exist to drive macros.
  dialogsheet: 'macros',
  // An ActiveX control's definition and its binary persistence.
  control: 'ActiveX',
  activexcontrol: 'ActiveX',
  activexcontrolbinary: 'ActiveX',
  // An OLE object, embedded or linked: a packaged executable, a legacy object with its own code.
  oleobject: 'OLE',
};

/**
 * Relationships that may point outside the package. Everything else with TargetMode="External"
 * is refused: a remote template (attachedTemplate) or frame fetches and runs content when the
 * document opens, a linked sub-document or workbook (subDocument, externalLinkPath) pulls data
 * from elsewhere, and any external image or object leaks the reader's address or Windows
 * credentials (a `file://host/share` target) to whoever wrote the document.
 */
export const EXTERNAL_ALLOWED = new Set(['hyperlink']);

/** Content types that announce active content in any `Default` or `Override`. */
export function findingForContentType(contentType: string): Finding | undefined {
  const t = contentType.toLowerCase();
  if (/macroenabled|vbaproject|macrosheet|vbadata|keymapcustomizations|attachedtoolbars|dialogsheet/.test(t)) return 'macros';
  if (t.includes('activex')) return 'ActiveX';
  if (t.includes('oleobject')) return 'OLE';
  return undefined;
}

/** Part names of macros and controls: relationships decide, this only adds a second net. */
export function findingForPartName(name: string): Finding | undefined {
  if (/(^|\/)vbaProject(Signature)?\.bin$|(^|\/)macrosheets\//i.test(name)) return 'macros';
  if (/(^|\/)activeX\//i.test(name)) return 'ActiveX';
  return undefined;
}

/** The signature of an OLE compound file: an embedded legacy object, wherever it is stored. */
export const CFB_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1] as const;

/**
 * Word field instructions that run other programs through Dynamic Data Exchange. Matched as a
 * word anywhere in the instruction (fields nest, and `{ QUOTE … }` tricks put it mid-text).
 */
export const DDE_INSTRUCTION = /(^|[^A-Za-z0-9_])DDE(AUTO)?([^A-Za-z0-9_]|$)/i;
