/**
 * `GET /api/export?method=&network=&vni=&host=&vtep=&text=&before=&after=`: the inspector's
 * filtered messages as a capture file (JSONL, oldest first), streamed as a download.
 *
 * Needs role `operator` or above (401 without a session, 403 for a viewer): unlike the
 * dashboard's reads, which show decoded, bounded views, the export dumps whole raw message bodies
 * in bulk, every tenant's MACs and IPs and any context field Neutron put on the bus, in a file
 * that leaves l2scope. docs/auth.md#roles.
 */
import { roleAtLeast } from '@l2scope/auth';
import { exportCaptureLines, messageFilterSchema } from '@l2scope/api';
import { getAuth } from '@/server/auth';
import { getDb } from '@/server/db';
import { jsonlDownload } from '@/server/jsonl-download';
import { filterFromSearchParams } from '@/server/export-params';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(req: Request): Promise<Response> {
  let user;
  try {
    user = await (await getAuth()).sessionFromHeaders(req.headers);
  } catch (err) {
    return Response.json({ error: `database unavailable: ${(err as Error).message}` }, { status: 503 });
  }
  if (!user) return Response.json({ error: 'sign in first' }, { status: 401 });
  if (!roleAtLeast(user.role, 'operator')) return Response.json({ error: 'the export needs role operator or above' }, { status: 403 });
  const parsed = messageFilterSchema.safeParse(filterFromSearchParams(new URL(req.url).searchParams));
  if (!parsed.success) {
    return Response.json({ error: 'invalid filter', issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, { status: 400 });
  }
  let db;
  try {
    db = await getDb();
  } catch (err) {
    return Response.json({ error: `database unavailable: ${(err as Error).message}` }, { status: 503 });
  }
  return jsonlDownload(exportCaptureLines(db, parsed.data), 'l2scope');
}
