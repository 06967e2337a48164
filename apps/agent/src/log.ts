/**
 * One line per event on stdout: `<ISO time> <message>`. Messages never carry secrets: AMQP URLs
 * go through `redactUrl` of `@l2scope/domain`.
 */

/** A line logger. */
export type Log = (line: string) => void;

/** The default logger (stdout, one line per call). */
export const stdoutLog: Log = (line) => {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
};

/** First line of an error's message (for one-line logs). */
export function errLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0]!.slice(0, 500);
}
