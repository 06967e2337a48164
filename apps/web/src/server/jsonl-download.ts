/**
 * A JSONL download streamed from an async generator of lines (each ending in `\n`), pulled one
 * line at a time so a large export never sits in memory; cancelling the download returns the
 * generator (its database cursor stops). Used by `/api/export` and `/api/audit/export`.
 *
 * @param lines the lines, in file order
 * @param filePrefix the download's name before the timestamp (`l2scope` -> `l2scope-<ISO time>.jsonl`)
 * @returns a 200 response: `application/x-ndjson`, attachment, `no-store`, `nosniff`
 */
export function jsonlDownload(lines: AsyncGenerator<string, unknown, undefined>, filePrefix: string): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await lines.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
  const ts = new Date().toISOString().replace(/[:.]/g, '-');
  return new Response(body, {
    headers: {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'content-disposition': `attachment; filename=${filePrefix}-${ts}.jsonl`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}
