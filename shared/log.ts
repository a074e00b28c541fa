/**
 * Describes an error for the operator's log without its payload: drizzle puts the bound
 * parameters of a failed query (password hashes among them) into its message, so only names,
 * codes, the innermost cause's message and stack frames are kept.
 */
export function describeError(error: unknown): { chain: Array<{ name: string; code?: string }>; message?: string; frames: string[] } {
  const chain: Array<{ name: string; code?: string }> = [];
  let root: unknown = error;
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    chain.push({ name: e.name, ...(typeof code === 'string' ? { code } : {}) });
    root = e;
  }
  const frames = error instanceof Error ? (error.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 8).map((l) => l.trim()) : [];
  const rootMessage = root instanceof Error && root !== error ? root.message : error instanceof Error && !/params:/i.test(error.message) ? error.message : undefined;
  return { chain, ...(rootMessage ? { message: rootMessage.split('\n')[0] } : {}), frames };
}

/** One structured line on stderr; callers pass no secrets, tokens or URLs. */
export function logEvent(level: 'info' | 'warn' | 'error', fields: Record<string, unknown>): void {
  console.error(JSON.stringify({ level, at: new Date().toISOString(), ...fields }));
}
