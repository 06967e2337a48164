'use client';
/**
 * Evidence rows (what proves a drift item or finding), printed the way the node's own tools print
 * them, grouped per host and source with the command (and support-bundle file) they come from.
 */
import type { Evidence } from '@l2scope/domain';

const COMMAND: Record<Evidence['source'], string> = {
  'linuxbridge.fdb': 'bridge fdb show',
  'linuxbridge.neigh': 'ip neigh show',
  'linuxbridge.vxlan': 'ip -d link show type vxlan',
  'openvswitch.tunnelPorts': 'ovs-vsctl list Interface',
  'openvswitch.brTun': 'ovs-ofctl dump-flows br-tun',
  'agent.ini': 'agent ini',
  report_state: 'report_state (agent report on the bus)',
  model: 'l2pop model',
  neutron_api: "Neutron's API (GET /v2.0/...)",
};

/** Evidence rows as a console block; nothing when there are none. */
export function EvidenceBlock({ evidence, testid }: { evidence: readonly Evidence[]; testid?: string }) {
  if (evidence.length === 0) return null;
  const groups: { host: string; source: Evidence['source']; file: string | null; rows: string[] }[] = [];
  for (const e of evidence) {
    const last = groups[groups.length - 1];
    if (last && last.host === e.host && last.source === e.source) last.rows.push(e.text);
    else groups.push({ host: e.host, source: e.source, file: e.file, rows: [e.text] });
  }
  return (
    <div className="evidence" data-testid={testid}>
      {groups.map((g, i) => (
        <div key={i} className="evidence-group">
          <div className="evidence-cmd">
            <span className="evidence-host">{g.host}</span>
            <span className="evidence-prompt">$ </span>
            {COMMAND[g.source] ?? g.source}
            {g.file && <span className="evidence-file"> — {g.file}</span>}
          </div>
          {g.rows.map((r, j) => (
            <div key={j} className="evidence-row" data-testid="evidence-row">
              {r}
            </div>
          ))}
        </div>
      ))}
    </div>
  );
}
