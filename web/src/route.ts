import { useEffect, useState } from 'preact/hooks';

/**
 * Routes live in the URL fragment, which never reaches a server: `#/download/<token>` carries a
 * download link's token through sign-in without it appearing in any request line or log.
 *
 * The one-time tokens of emailed links (`#/invitation/<token>`, `#/verify-email/<token>`,
 * `#/reset-password/<token>`) are read once into memory and taken out of the address bar at
 * once, so they stay out of the history, bookmarks and screenshots; they only ever leave the page
 * in a POST body.
 */
export type TokenKind = 'invitation' | 'verify-email' | 'reset-password';
const tokens = new Map<TokenKind, string>();

export interface Route {
  /** `/users`, `/users/<id>`, … */
  path: string;
  query: URLSearchParams;
}

function read(): Route {
  let raw = location.hash.slice(1) || '/';
  const link = /^\/(invitation|verify-email|reset-password)\/([^/?#]+)\/?$/.exec(raw);
  if (link?.[1] && link[2]) {
    const kind = link[1] as TokenKind;
    let token = link[2];
    try {
      token = decodeURIComponent(token);
    } catch {
      // Left as it came: the API will say it is not valid.
    }
    tokens.set(kind, token);
    raw = `/${kind}`;
    history.replaceState(history.state, '', `#${raw}`);
  }
  const [path = '/', search = ''] = raw.split('?', 2);
  return { path, query: new URLSearchParams(search) };
}

/** The token an emailed link brought to this page, if it came this time (it is not kept across reloads). */
export const linkToken = (kind: TokenKind): string | undefined => tokens.get(kind);

export function useRoute(): Route {
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** Changes the fragment's query (filters, say) without a new history entry or a hashchange. */
export function replaceQuery(path: string, query: Record<string, string | undefined>) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) search.set(key, value);
  const text = search.toString();
  history.replaceState(history.state, '', `#${path}${text ? `?${text}` : ''}`);
}
