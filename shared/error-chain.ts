/**
 * An error and its causes, outermost first, for as long as each is an Error: drizzle wraps the
 * driver's error, which may wrap a fetch failure, so what a caller looks for may be any link.
 */
export function* causes(error: unknown): Generator<Error, void, undefined> {
  for (let e: unknown = error; e instanceof Error; e = e.cause) yield e;
}
