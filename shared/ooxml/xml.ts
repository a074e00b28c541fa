import { SaxesParser, type SaxesTagNS } from 'saxes';
import { concatBytes } from '../bytes';
import { Refusal } from './zip';

/**
 * One XML part, parsed as it streams out of the inflater by a real, namespace-aware parser
 * (saxes: strict XML 1.0 with namespaces, no DTD processing, 26 KB gzip in the worker). What
 * office suites never write is refused rather than interpreted: a DOCTYPE (entities, external
 * references), any encoding but UTF-8 (a UTF-16 part reads differently to a byte scanner and to
 * Office), and malformed XML. Elements reach the handler with their namespace resolved, so a
 * prefix never decides anything.
 */

export interface XmlElement {
  uri: string;
  local: string;
  /** Attributes by `{uri}local` (`local` alone when unqualified). */
  attributes: Map<string, string>;
}

export interface XmlHandler {
  /**
   * Whether the rest of the part, after its root element's start, needs parsing. Parts nothing
   * is judged in (a worksheet's cells, a theme) are parsed up to their root (a DOCTYPE and the
   * encoding can only come before it) and then only decoded as UTF-8: saxes reads about 8 MB of
   * XML a second here, and a workbook can hold hundreds.
   */
  wholePart?(root: XmlElement): boolean;
  open?(element: XmlElement, depth: number): void;
  close?(element: XmlElement, depth: number): void;
  /** Character data (text and CDATA) inside the current element. */
  text?(text: string): void;
}

/** Bounds that honest parts never come near, so memory stays flat whatever the part. */
const MAX_TOKEN_CHARS = 8 * 1024 * 1024;
const MAX_DEPTH = 1000;

/**
 * saxes keeps the token being read (a text run, a comment, an attribute value, a name) in these
 * fields. They are read after every chunk to bound them; the guard is tested, so a saxes release
 * that renamed them would fail the suite instead of silently dropping the bound.
 */
interface SaxesInternals {
  text: string;
  name: string;
}

/** Thrown from the root's handler to stop parsing a part nothing further is judged in. */
const ROOT_IS_ENOUGH = Symbol('root is enough');

export const attributeKey = (uri: string, local: string) => (uri ? `{${uri}}${local}` : local);

export class XmlPart {
  private readonly parser = new SaxesParser({ xmlns: true, position: false });
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  private readonly stack: XmlElement[] = [];
  private started = false;
  /** Past the root of a part nothing further is judged in: only UTF-8 is checked. */
  private decodingOnly = false;
  private pendingBomCheck = new Uint8Array(0);

  constructor(
    private readonly name: string,
    private readonly handler: XmlHandler,
  ) {
    const shown = JSON.stringify(name);
    this.parser.on('doctype', () => {
      throw new Refusal(`The part ${shown} contains a DOCTYPE, which office documents never have (entity and external-reference attacks).`);
    });
    this.parser.on('xmldecl', (decl) => {
      if (decl.encoding !== undefined && decl.encoding.toLowerCase() !== 'utf-8') {
        throw new Refusal(`The part ${shown} declares the encoding ${JSON.stringify(decl.encoding)}; only UTF-8 is accepted.`);
      }
    });
    this.parser.on('error', (error) => {
      throw new Refusal(`The part ${shown} is not well-formed XML (${error.message.replace(/^.*?:\d+:\d+: /, '').slice(0, 120)}).`);
    });
    this.parser.on('opentag', (tag: SaxesTagNS) => {
      const attributes = new Map<string, string>();
      for (const attribute of Object.values(tag.attributes)) {
        // Namespace declarations are how prefixes are resolved, not data.
        if (attribute.prefix === 'xmlns' || attribute.name === 'xmlns') continue;
        attributes.set(attributeKey(attribute.uri, attribute.local), attribute.value);
      }
      const element: XmlElement = { uri: tag.uri, local: tag.local, attributes };
      this.stack.push(element);
      if (this.stack.length > MAX_DEPTH) throw this.beyondBounds();
      this.handler.open?.(element, this.stack.length);
      if (this.stack.length === 1 && this.handler.wholePart?.(element) === false) throw ROOT_IS_ENOUGH;
    });
    this.parser.on('closetag', () => {
      const element = this.stack.pop();
      if (element) this.handler.close?.(element, this.stack.length + 1);
    });
    if (handler.text) {
      const onText = handler.text.bind(handler);
      this.parser.on('text', onText);
      this.parser.on('cdata', onText);
    }
  }

  write(bytes: Uint8Array): void {
    if (!this.started) {
      // A byte-order mark other than UTF-8's announces UTF-16 or UTF-32.
      const head = this.pendingBomCheck.length ? concatBytes([this.pendingBomCheck, bytes]) : bytes;
      if (head.length < 4 && !this.closing) {
        this.pendingBomCheck = head.slice();
        return;
      }
      this.started = true;
      this.pendingBomCheck = new Uint8Array(0);
      if ((head[0] === 0xfe && head[1] === 0xff) || (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0 && head[1] === 0)) {
        throw new Refusal(`The part ${JSON.stringify(this.name)} is encoded in UTF-16 or UTF-32; only UTF-8 is accepted.`);
      }
      bytes = head;
    }
    let text: string;
    try {
      text = this.decoder.decode(bytes, { stream: true });
    } catch {
      throw new Refusal(`The part ${JSON.stringify(this.name)} is not valid UTF-8; only UTF-8 is accepted.`);
    }
    if (this.decodingOnly) return;
    try {
      this.parser.write(text);
    } catch (error) {
      if (error !== ROOT_IS_ENOUGH) throw error;
      this.decodingOnly = true;
      return;
    }
    const internals = this.parser as unknown as SaxesInternals;
    if (internals.text.length > MAX_TOKEN_CHARS || internals.name.length > MAX_TOKEN_CHARS) throw this.beyondBounds();
  }

  private beyondBounds() {
    return new Refusal(`The part ${JSON.stringify(this.name)} has an XML token or nesting far beyond what office suites write.`);
  }

  private closing = false;

  close(): void {
    this.closing = true;
    if (!this.started) this.write(new Uint8Array(0));
    let rest: string;
    try {
      rest = this.decoder.decode();
    } catch {
      throw new Refusal(`The part ${JSON.stringify(this.name)} is not valid UTF-8; only UTF-8 is accepted.`);
    }
    if (this.decodingOnly) return;
    try {
      if (rest) this.parser.write(rest);
      this.parser.close();
    } catch (error) {
      if (error !== ROOT_IS_ENOUGH) throw error;
    }
  }
}
