/**
 * `l2scope analyze --messages FILE.jsonl --snapshots DIR [--until TIME]`: the worker's
 * told-vs-held analysis, offline. Replays a capture (the fixtures' JSONL shape) into the
 * cluster model, reads a support bundle directory (`<host>-bridge-fdb.json`, ..., see
 * `support-bundle.ts` in @l2scope/domain) into node snapshots, and prints
 * `{"hosts": {"<host>": {"mode", "drift", "flood", "snapshot", "agent"}}, "findings": [...], "input": {...}}`.
 * `agent` is the host's L2 agent liveness from its report_state (`{alive, lastReportAt, downSince?}`,
 * null when it never reported) as of `--until`, or of the capture's last record when the capture
 * ends before it (a capture that stops says nothing about the agents after it); a down agent adds an
 * `agent_down` finding and its host's drift rows name it in `causes`.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  AGENT_DOWN_TIME_MS,
  ClusterModel,
  type NodeAnalysis,
  agentsAt,
  analyzeNodes,
  decodeMessage,
  parseCapture,
  parseTimeArg,
  snapshotsFromBundle,
  withAgentLiveness,
} from '@l2scope/domain';

export interface AnalyzeOptions {
  messages: string;
  snapshots: string;
  /** ISO-8601 or epoch seconds: only messages received up to it count. */
  until?: string;
  /** Drop the evidence arrays from the output. */
  evidence?: boolean;
  /** neutron-server's `agent_down_time` in seconds (default 75). */
  agentDownTime?: string;
}

/** What the command read, printed under `input`. */
export interface AnalyzeInputSummary {
  messages: { file: string; lines: number; applied: number; afterUntil: number; undecodable: number; badLines: { line: number; error: string }[] };
  until: string | null;
  /** ISO time agent liveness is judged at: `until`, or the capture's last record if earlier; null for an empty capture. */
  livenessAt: string | null;
  /** `agent_down_time` used, seconds. */
  agentDownTime: number;
  snapshots: {
    dir: string;
    hosts: string[];
    ignored: number;
    errors: { file: string; error: string }[];
    parseErrors: Record<string, { source: string; message: string }[]>;
  };
}

/** Bundle files larger than this are refused (a bundle's files are a few hundred KiB). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Read every regular file of `dir` (not recursive) as UTF-8. */
export function readBundleDir(dir: string): { files: Record<string, string>; newestMtimeMs: number } {
  const files: Record<string, string> = {};
  let newest = 0;
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    const st = statSync(p);
    if (!st.isFile()) continue;
    if (st.size > MAX_FILE_BYTES) throw new Error(`${p}: ${st.size} bytes, over the ${MAX_FILE_BYTES}-byte limit for a bundle file`);
    files[name] = readFileSync(p, 'utf8');
    newest = Math.max(newest, st.mtimeMs);
  }
  return { files, newestMtimeMs: newest };
}

/**
 * Run the analysis on files.
 * @throws Error on an unreadable messages file / directory or a bad `until`
 */
export function analyzeFiles(opts: AnalyzeOptions): NodeAnalysis & { input: AnalyzeInputSummary } {
  const untilMs = opts.until !== undefined ? parseTimeArg(opts.until) : Infinity;
  const downS = opts.agentDownTime !== undefined ? Number(opts.agentDownTime) : AGENT_DOWN_TIME_MS / 1000;
  if (!(downS > 0)) throw new Error(`--agent-down-time ${opts.agentDownTime}: a positive number of seconds`);
  const { records, errors } = parseCapture(readFileSync(opts.messages, 'utf8'));
  const model = new ClusterModel({ agentDownTimeMs: downS * 1000 });
  let seq = 0;
  let applied = 0;
  let afterUntil = 0;
  let undecodable = 0;
  for (const r of records) {
    seq++;
    if (r.ts.getTime() > untilMs) {
      afterUntil++;
      continue;
    }
    const d = decodeMessage({ exchange: r.exchange, routingKey: r.routingKey, body: r.body });
    if (!d.ok) {
      undecodable++;
      continue;
    }
    model.apply(d.message, r.ts.getTime(), seq);
    applied++;
  }
  const { files, newestMtimeMs } = readBundleDir(opts.snapshots);
  const bundle = snapshotsFromBundle(files, { takenAt: Number.isFinite(untilMs) ? untilMs : Math.round(newestMtimeMs) });
  // liveness as of --until, unless the capture ends before it (then as of its last record)
  const lastTs = records.reduce((m, r) => Math.max(m, r.ts.getTime()), -Infinity);
  const livenessAt = Math.min(untilMs, lastTs);
  const liveness = { agentDownTimeMs: downS * 1000 };
  const plain = analyzeNodes({ model, snapshots: bundle.snapshots });
  const result = Number.isFinite(livenessAt) ? withAgentLiveness(plain, agentsAt(model.snapshot().hosts, livenessAt, liveness), liveness) : plain;
  const parseErrors: Record<string, { source: string; message: string }[]> = {};
  for (const s of bundle.snapshots) if (s.errors.length) parseErrors[s.host] = s.errors;
  const out = {
    ...result,
    input: {
      messages: { file: opts.messages, lines: records.length + errors.length, applied, afterUntil, undecodable, badLines: errors.slice(0, 20) },
      until: Number.isFinite(untilMs) ? new Date(untilMs).toISOString() : null,
      livenessAt: Number.isFinite(livenessAt) ? new Date(livenessAt).toISOString() : null,
      agentDownTime: downS,
      snapshots: { dir: opts.snapshots, hosts: bundle.snapshots.map((s) => s.host), ignored: bundle.ignored.length, errors: bundle.errors, parseErrors },
    },
  };
  if (opts.evidence === false) stripEvidence(out);
  return out;
}

function stripEvidence(a: NodeAnalysis): void {
  for (const h of Object.values(a.hosts)) {
    for (const d of h.drift) delete (d as { evidence?: unknown }).evidence;
    for (const f of Object.values(h.flood)) delete (f as { evidence?: unknown }).evidence;
  }
  for (const f of a.findings) delete (f as { evidence?: unknown }).evidence;
}

/**
 * The command: print the analysis as JSON.
 * @returns exit code: 0; 1 with `failOnDrift` when any host has drift or there is a finding; 2 on bad input
 */
export function analyzeCommand(opts: AnalyzeOptions & { failOnDrift?: boolean; compact?: boolean }): number {
  let out: ReturnType<typeof analyzeFiles>;
  try {
    out = analyzeFiles(opts);
  } catch (e) {
    process.stderr.write(`l2scope analyze: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  process.stdout.write(`${JSON.stringify(out, null, opts.compact ? 0 : 2)}\n`);
  const dirty = out.findings.length > 0 || Object.values(out.hosts).some((h) => h.drift.length > 0);
  return opts.failOnDrift && dirty ? 1 : 0;
}
