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

export type Finding = 'macros' | 'ActiveX' | 'OLE' | 'imported' | 'add-in';

export const FINDING_REASONS: Record<Finding, string> = {
  macros: 'The document contains macros (VBA or Excel 4.0 macro sheets); macro-enabled documents are not accepted.',
  ActiveX: 'The document contains ActiveX controls, which run code; they are not accepted.',
  OLE: 'The document contains an embedded or linked OLE object, which can run code; they are not accepted.',
  imported:
    'The document imports another document (an altChunk: RTF, HTML or MHT) when it opens, which is never verified; it is not accepted.',
  'add-in': 'The document loads an Office web add-in (web extension), which runs code; it is not accepted.',
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
  // A document Word imports when it opens (RTF, HTML, MHT): content nothing here verifies, and
  // RTF carries its own OLE objects and fields. Office suites never write one unprompted.
  afchunk: 'imported',
  // Office web add-ins: a task pane that opens with the document and runs an add-in's code.
  webextension: 'add-in',
  webextensiontaskpanes: 'add-in',
};

/**
 * Relationships that may point outside the package. Everything else with TargetMode="External"
 * is refused: a remote template (attachedTemplate) or frame fetches and runs content when the
 * document opens, a linked sub-document or workbook (subDocument, externalLinkPath) pulls data
 * from elsewhere, and any external image or object leaks the reader's address or Windows
 * credentials (a `file://host/share` target) to whoever wrote the document.
 */
export const EXTERNAL_ALLOWED = new Set(['hyperlink']);

/**
 * What an external hyperlink may point at. `file:` and UNC paths leak Windows credentials or
 * open local programs (PowerPoint's "run program" action is a hyperlink to one), and exotic
 * schemes (`ms-msdt:`, `search-ms:`) have launched code before.
 */
export const EXTERNAL_HYPERLINK_SCHEME = /^(https?:\/\/|mailto:)/i;

/** Content types that announce active content in any `Default` or `Override`. */
export function findingForContentType(contentType: string): Finding | undefined {
  const t = contentType.toLowerCase();
  if (/macroenabled|vbaproject|macrosheet|vbadata|keymapcustomizations|attachedtoolbars|dialogsheet/.test(t)) return 'macros';
  if (t.includes('activex')) return 'ActiveX';
  if (t.includes('oleobject')) return 'OLE';
  if (t.includes('webextension')) return 'add-in';
  // What an altChunk imports: never verified, so never accepted.
  if (/^(application\/rtf|text\/rtf|text\/html|message\/rfc822|multipart\/related|application\/x-mimearchive)\b/.test(t)) return 'imported';
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

/** The keywords of Word fields that run other programs through Dynamic Data Exchange. */
export const DDE_FIELD = /^DDE(AUTO)?$/i;
