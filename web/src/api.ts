/**
 * The portal speaks only the public API. The access token lives in memory and in this tab's
 * sessionStorage (gone when the tab closes): never in localStorage, never in a cookie.
 */
export interface User {
  id: string;
  username: string;
  email: string;
  role: 'ops' | 'client';
}

export interface FileItem {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  status: 'pending' | 'ready' | 'rejected';
  rejectionReason: string | null;
  sharedWithAllClients: boolean;
  uploadedBy: { id: string; username: string };
  createdAt: string;
  readyAt: string | null;
}

export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
  /** The message for one field, for showing next to it. */
  field(name: string): string | undefined {
    return this.errors.find((e) => e.path === name || e.path.startsWith(`${name}.`))?.message;
  }
}

const TOKEN_KEY = 'sfs.accessToken';
let token: string | null = sessionStorage.getItem(TOKEN_KEY);
const listeners = new Set<() => void>();

export const session = {
  get token() {
    return token;
  },
  set(value: string | null) {
    token = value;
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
    for (const listener of listeners) listener();
  },
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

export async function api<T>(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: {
      accept,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
  });
  if (res.status === 204) return undefined as T;
  const payload = (await res.json().catch(() => ({}))) as T & { code?: string; detail?: string; errors?: FieldError[] };
  if (!res.ok) {
    if (res.status === 401 && token) session.set(null); // expired or revoked: back to sign-in
    throw new ApiError(res.status, payload.code ?? 'error', payload.detail ?? `The service answered ${res.status}.`, payload.errors ?? []);
  }
  return payload;
}

export const formatSize = (bytes: number) =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

export const formatDate = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

export const DOCUMENT_TYPES: Record<string, { contentType: string; label: string }> = {
  '.docx': { contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', label: 'Word' },
  '.pptx': { contentType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', label: 'PowerPoint' },
  '.xlsx': { contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', label: 'Excel' },
};

export const typeOf = (name: string) => DOCUMENT_TYPES[name.slice(name.lastIndexOf('.')).toLowerCase()];

/** Asks the API for a link bound to this client, redeems it, and lets the browser save the file. */
export async function downloadFile(fileId: string): Promise<void> {
  const { downloadLink } = await api<{ downloadLink: string }>('POST', `/api/files/${encodeURIComponent(fileId)}/download-link`);
  await redeemLink(new URL(downloadLink).pathname);
}

export async function redeemLink(path: string): Promise<void> {
  const { url } = await api<{ url: string }>('GET', path);
  // Storage answers with Content-Disposition: attachment, so this saves the file and stays here.
  window.location.assign(url);
}
