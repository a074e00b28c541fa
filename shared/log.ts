import { causes } from './error-chain';

/**
 * Describes an error for the operator's log without its payload: drizzle puts the bound
 * parameters of a failed query (password hashes among them) into its message, so only names,
 * codes, the innermost cause's message and stack frames are kept.
 */
export function describeError(error: unknown): { chain: Array<{ name: string; code?: string }>; message?: string; frames: string[] } {
  const chain: Array<{ name: string; code?: string }> = [];
  let root: unknown = error;
  for (const e of causes(error)) {
    const code = (e as { code?: unknown }).code;
    chain.push({ name: e.name, ...(typeof code === 'string' ? { code } : {}) });
    root = e;
  }
  const frames =
    error instanceof Error
      ? (error.stack ?? '')
          .split('\n')
          .filter((l) => /^\s+at /.test(l))
          .slice(0, 8)
          .map((l) => l.trim())
      : [];
  const rootMessage =
    root instanceof Error && root !== error
      ? root.message
      : error instanceof Error && !/params:/i.test(error.message)
        ? error.message
        : undefined;
  return { chain, ...(rootMessage ? { message: rootMessage.split('\n')[0] } : {}), frames };
}

export type LogLevel = 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, fields: Record<string, unknown>) => void;

const RANK: Record<LogLevel, number> = { info: 0, warn: 1, error: 2 };

/** One structured JSON line on stderr per event at or above `threshold`; callers pass no secrets, tokens or URLs. */
export function createLogger(threshold: LogLevel): Logger {
  return (level, fields) => {
    if (RANK[level] >= RANK[threshold]) console.error(JSON.stringify({ level, at: new Date().toISOString(), ...fields }));
  };
}

/** For the rare line written before there is a configuration to say which levels to keep. */
export const logEvent: Logger = createLogger('info');
