import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * The OpenAPI document as a contract the tests hold the service to: every response a suite
 * receives must be documented for its path, method and status, with its media type, and its JSON
 * body must validate against the documented schema. A response that drifts from the document
 * fails the test that received it.
 */

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
}

const pointer = (...segments: string[]) => segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

export class Contract {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  private readonly templates: Array<{ path: string; regex: RegExp; params: number }>;

  constructor(private readonly document: Document) {
    addFormats.default(this.ajv);
    this.ajv.addSchema(document as object, 'api');
    this.templates = Object.keys(document.paths)
      .map((path) => ({
        path,
        regex: new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`),
        params: (path.match(/\{/g) ?? []).length,
      }))
      .sort((a, b) => a.params - b.params);
  }

  /** What is wrong with this response, or undefined when it is as documented. */
  check(method: string, url: string, status: number, contentType: string | null, body: unknown): string | undefined {
    const path = new URL(url, 'http://x').pathname;
    const template = this.templates.find((t) => t.regex.test(path));
    // Paths and methods the API does not have answer 404/405 from the app itself, for any path.
    if (!template) return undefined;
    const operation = this.document.paths[template.path]?.[method.toLowerCase()];
    if (!operation) return status === 405 ? undefined : `${method} ${template.path} answered ${status} but is not documented`;
    const key = String(status) in operation.responses ? String(status) : 'default';
    const response = operation.responses[key];
    if (!response)
      return `${method} ${template.path} answered ${status}, which is not documented (${Object.keys(operation.responses).join(', ')})`;
    if (!response.content) return undefined;
    const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!(mediaType in response.content)) {
      return `${method} ${template.path} ${status} answered ${mediaType || 'no content type'}, documented ${Object.keys(response.content).join(', ')}`;
    }
    if (!/json$/.test(mediaType)) return undefined;
    const ref = `api#/${pointer('paths', template.path, method.toLowerCase(), 'responses', key, 'content', mediaType, 'schema')}`;
    const validate = this.ajv.getSchema(ref) ?? this.ajv.compile({ $ref: ref });
    if (validate(body)) return undefined;
    return `${method} ${template.path} ${status} does not match its documented schema: ${this.ajv.errorsText(validate.errors)}`;
  }
}

const contracts = new Map<string, Promise<Contract>>();

/** The contract of the service at `baseUrl`, read from its own document once. */
export function contractOf(baseUrl: string): Promise<Contract> {
  let contract = contracts.get(baseUrl);
  if (!contract) {
    contract = fetch(`${baseUrl}/api/openapi.json`)
      .then((res) => res.json())
      .then((document) => new Contract(document as Document));
    contracts.set(baseUrl, contract);
  }
  return contract;
}
