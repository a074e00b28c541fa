/**
 * `Content-Disposition: attachment` for any file name (RFC 6266, with the RFC 8187/5987
 * `filename*` form for non-ASCII). The quoted fallback keeps printable ASCII only, without
 * quotes or backslashes, so no name can break out of the header or inject another.
 */
export function attachmentDisposition(name: string): string {
  // Any lone UTF-16 surrogate becomes U+FFFD: encodeURIComponent would throw on it.
  const filename = name.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_').trim() || 'download';
  // encodeURIComponent leaves !'()* which RFC 8187's attr-char does not allow unencoded.
  const encoded = encodeURIComponent(filename).replace(/['()*!]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
