import { ApiError } from './errors';

/**
 * The opaque keyset cursor of a file list: the (createdAt, id) of a page's last row. It comes
 * back from the caller, so decoding validates it rather than trusting it.
 */
export interface Cursor {
  createdAt: number;
  id: string;
}

const invalidCursor = () =>
  new ApiError(400, 'validation_failed', 'The cursor is not one this API issued.', {
    errors: [{ path: 'cursor', message: 'is invalid' }],
  });

export const encodeCursor = (c: Cursor) =>
  btoa(JSON.stringify([c.createdAt, c.id]))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

export function decodeCursor(value: string): Cursor {
  try {
    const parsed: unknown = JSON.parse(atob(value.replace(/-/g, '+').replace(/_/g, '/')));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      Number.isSafeInteger(parsed[0]) &&
      typeof parsed[1] === 'string' &&
      parsed[1].length <= 64
    ) {
      return { createdAt: parsed[0] as number, id: parsed[1] };
    }
  } catch {
    // fall through
  }
  throw invalidCursor();
}
