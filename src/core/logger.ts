/** The logging the core needs; pino's logger satisfies it. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  /** A logger whose every line carries `bindings` (the escalation, the activity). */
  child(bindings: object): Logger;
}

/**
 * A child logger made only when something is logged through it: most relayed lines log nothing, and a pino child
 * (its own object, its bindings serialised at once) was made for every turn (bench/lineCosts.ts measures both).
 */
export function lazyChild(log: Logger, bindings: () => object): Logger {
  let made: Logger | undefined;
  const real = () => (made ??= log.child(bindings()));
  return {
    debug: (obj, msg) => real().debug(obj, msg),
    info: (obj, msg) => real().info(obj, msg),
    warn: (obj, msg) => real().warn(obj, msg),
    error: (obj, msg) => real().error(obj, msg),
    child: (more) => real().child(more),
  };
}
