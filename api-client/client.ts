/**
 * The one typed client of the API, used by the web portal (web/src/api.ts) and the CLI
 * (scripts/cli.ts): Hono's `hc` over the app's own type, so every path, parameter, body and
 * answer is checked against the endpoint declarations in functions/ at compile time.
 *
 * It imports functions/ and the problem schema for their types only (erased when built: nothing
 * of the server reaches the portal bundle), and uses Web-standard APIs only, since it runs in the
 * browser and in Node.
 *
 * Every call through it either resolves with a 2xx response or throws: `ApiError` for any other
 * answer (the API's problem+json), `ApiUnreachable` when no answer came. `unwrap` gives the
 * typed body of the success.
 *
 * hc puts path parameters into the URL as they are (honojs/hono#3933): callers pass them
 * through `encodeURIComponent`.
 */
import { type ClientResponse, hc } from 'hono/client';
import type { ResponseFormat } from 'hono/types';
import type { SuccessStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { ApiType } from '../functions/routes';
import type { Problem } from '../shared/api/contract';

/** One invalid field of a problem answer, as the contract states it. */
export type FieldError = NonNullable<z.output<typeof Problem>['errors']>[number];

/** An answer other than 2xx, from its problem+json body (RFC 9457). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The API's stable machine code, e.g. `username_taken`. */
    readonly code: string,
    /** For people to read; also the error's message. */
    readonly detail: string,
    /** The invalid fields, for a `validation_failed` answer and a few others. */
    readonly errors: readonly FieldError[] = [],
  ) {
    super(detail);
    this.name = 'ApiError';
  }

  /** The message for one field, for showing next to it. */
  field(name: string): string | undefined {
    return this.errors.find((e) => e.path === name || e.path.startsWith(`${name}.`))?.message;
  }
}

/** No answer at all: the network, DNS or TLS failed before the API could say anything. */
export class ApiUnreachable extends Error {
  constructor(
    /** The base URL the client was made for. */
    readonly baseUrl: string,
    options: { cause: unknown },
  ) {
    super(`Cannot reach the API at ${baseUrl}.`, options);
    this.name = 'ApiUnreachable';
  }
}

export interface ApiClientOptions {
  /** The access token to send, read before every request; nothing when signed out. */
  token: () => string | null | undefined;
  /**
   * What a 401 means to this caller, run before the ApiError is thrown (it may throw an error
   * of its own instead). The portal forgets its token; the CLI says the session is over.
   */
  onUnauthenticated?: (error: ApiError) => void;
  /** Fetch options for every request: `credentials`, `redirect`. Never `headers` or `body`. */
  init?: RequestInit;
}

async function problemOf(res: Response): Promise<ApiError> {
  const body: unknown = await res.json().catch(() => undefined);
  const problem = (typeof body === 'object' && body !== null ? body : {}) as { code?: unknown; detail?: unknown; errors?: unknown };
  return new ApiError(
    res.status,
    typeof problem.code === 'string' ? problem.code : 'error',
    typeof problem.detail === 'string' ? problem.detail : `The service answered ${res.status}.`,
    Array.isArray(problem.errors) ? (problem.errors as FieldError[]) : [],
  );
}

/** The API at `baseUrl` (`/` for the origin the page came from), as the holder of `token`. */
export function createApiClient(baseUrl: string, options: ApiClientOptions) {
  return hc<ApiType>(baseUrl, {
    headers: (): Record<string, string> => {
      const token = options.token();
      // JSON, never a redirect: following a download link answers with the presigned URL.
      return { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
    },
    ...(options.init ? { init: options.init } : {}),
    fetch: async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      let res: Response;
      try {
        res = await fetch(input, init);
      } catch (cause) {
        throw new ApiUnreachable(baseUrl, { cause });
      }
      if (res.ok) return res;
      const error = await problemOf(res);
      if (res.status === 401) options.onUnauthenticated?.(error);
      throw error;
    },
  });
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** The typed body a call answers with when it succeeds; undefined for an answer without one (204). */
export type Success<R> =
  R extends ClientResponse<infer Body, infer Status, infer Format>
    ? Status extends SuccessStatusCode
      ? Format extends 'json'
        ? Body
        : undefined
      : never
    : never;

/** Awaits a call made through the client and gives its typed body (the client threw on anything else). */
export async function unwrap<R extends ClientResponse<unknown, number, ResponseFormat>>(call: Promise<R>): Promise<Success<R>> {
  const res = await call;
  // No content (204, or a 202 that only says "accepted"): nothing to parse.
  const text = res.status === 204 ? '' : await res.text();
  return (text ? JSON.parse(text) : undefined) as Success<R>;
}

/** The token of a download link (`…/api/download/{token}`), to follow the link through the client. */
export const downloadLinkToken = (downloadLink: string): string =>
  decodeURIComponent(new URL(downloadLink).pathname.split('/').pop() ?? '');
