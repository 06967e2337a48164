/**
 * `GET /api/audit/export`: the whole audit log as JSONL, one entry per line with its `prevHash`
 * and `hash`, newest first (seq descending), streamed as a download, so the chain can be checked
 * outside l2scope (docs/toggles.md#audit). Role admin: 401 without a session, 403 below admin.
 */
import { roleAtLeast } from '@l2scope/auth';
import { exportAuditLines } from '@l2scope/api';
import { getAuth } from '@/server/auth';
import { getDb } from '@/server/db';
import { jsonlDownload } from '@/server/jsonl-download';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(req: Request): Promise<Response> {
  let user;
  let db;
  try {
    user = await (await getAuth()).sessionFromHeaders(req.headers);
    db = await getDb();
  } catch (err) {
    return Response.json({ error: `database unavailable: ${(err as Error).message}` }, { status: 503 });
  }
  if (!user) return Response.json({ error: 'sign in first' }, { status: 401 });
  if (!roleAtLeast(user.role, 'admin')) return Response.json({ error: 'the audit export needs role admin' }, { status: 403 });
  return jsonlDownload(exportAuditLines(db), 'l2scope-audit');
}
