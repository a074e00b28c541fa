import type { Hook } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { z } from 'zod';
import { ApiError, type FieldProblem, notFound } from '../errors';
import { type AppEnv, deps } from './context';

type Issue = z.core.$ZodIssue;

/** Whether a union's option refused the value for its type alone (a string given where it takes an object). */
const refusedTheType = (issues: Issue[]) => issues.length === 1 && issues[0]?.code === 'invalid_type' && issues[0].path.length === 0;

function fieldProblems(issue: Issue, prefix: PropertyKey[]): FieldProblem[] {
  const at = [...prefix, ...issue.path].map(String);
  // Unknown fields come as one issue on the parent; name each field instead.
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...at, key].join('.'), message: 'is not a known field' }));
  }
  // A value one option of a union (a name, or an object) was meant for: that option's own
  // problems, each at its field, rather than "invalid input" on the whole value.
  if (issue.code === 'invalid_union') {
    const meant = issue.errors.filter((issues) => !refusedTheType(issues));
    if (meant.length === 1) return (meant[0] as Issue[]).flatMap((inner) => fieldProblems(inner, [...prefix, ...issue.path]));
  }
  return [{ path: at.join('.') || '(body)', message: issue.message }];
}

/** A zod failure as the API reports it: 400 `validation_failed`, each field named in `errors`. */
export function validationError(error: z.core.$ZodError): ApiError {
  const errors = error.issues.flatMap((issue) => fieldProblems(issue, []));
  return new ApiError(400, 'validation_failed', 'The request has invalid fields.', { errors });
}

/**
 * What every route does with a request that fails its schema. A path parameter that is not even
 * an id names nothing, so it is a 404 like any unknown id (never a 400 that tells ids apart by
 * shape); anything else is a 400 naming the fields.
 */
// biome-ignore lint/suspicious/noExplicitAny: the hook is shared by routes of every input and output type
export const defaultHook: Hook<any, AppEnv, any, any> = (result) => {
  if (result.success) return;
  if (result.target === 'param') throw notFound();
  throw validationError(result.error);
};

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * Before a JSON body is validated: another media type is a 415 and unparseable JSON a 400, so
 * the client learns what is actually wrong.
 */
export const requireJson: MiddlewareHandler<AppEnv> = async (c, next) => {
  const mediaType = (c.req.header('content-type') ?? '').split(';')[0]?.trim() ?? '';
  if (!JSON_MEDIA_TYPE.test(mediaType)) {
    throw new ApiError(415, 'unsupported_media_type', 'Send the body as application/json.');
  }
  try {
    await c.req.json(); // parsed once and cached for the validator
  } catch {
    throw new ApiError(400, 'malformed_json', 'The body is not valid JSON.');
  }
  return next();
};

const bodyLimits = new Map<number, MiddlewareHandler<AppEnv>>();

/**
 * The body size limit, on the routes that take a body, before anything reads it (a body sent in
 * chunks without Content-Length is counted as it arrives). Routes without one never read a body,
 * so they pay nothing for this.
 */
export const limitBody: MiddlewareHandler<AppEnv> = (c, next) => {
  const maxSize = deps(c).config.maxBodyBytes;
  let limit = bodyLimits.get(maxSize);
  if (!limit) {
    limit = bodyLimit({
      maxSize,
      onError: () => {
        // The rest of the body is never read, so the connection cannot carry another request:
        // say so, or a keep-alive client sends its next request into a socket about to close.
        throw new ApiError(413, 'payload_too_large', `The request body is larger than ${maxSize} bytes.`, {
          headers: { Connection: 'close' },
        });
      },
    });
    bodyLimits.set(maxSize, limit);
  }
  return limit(c, next);
};
