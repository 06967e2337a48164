'use client';
/**
 * `/dvr` (docs/dvr.md): per host its DVR MAC as announced (`dvr_mac_address_update`) vs as
 * installed in br-tun t1, and the peers' DVR MACs its flows hold; per router, subnet and IP the
 * static ARP entry announced (`add_arp_entry`) vs held in each `qrouter-<id>`; the DVR findings.
 * Each host's L3 agent `agent_mode` comes from that agent's own report_state. Read through `dvr.view`, again whenever the model or the node view changes.
 */
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useSyncFeatures } from '@/hooks/use-sync';
import { useRefetchOnChange } from '@/hooks/use-live-query';
import { hostHref } from '@/lib/format';
import { type RouterOutputs, useTRPC } from '@/lib/trpc';
import { useL2 } from '@/state/store';
import { Card, HostViewFrame } from '../host-view/HostViewFrame';

type View = RouterOutputs['dvr']['view'];

const TONE: Record<View['findings'][number]['severity'], string> = { error: 'text-bad', warning: 'text-warn', info: 'muted' };
const flag = (v: boolean | null) => (v === null ? '?' : v ? 'on' : 'off');
const short = (id: string) => id.slice(0, 8);

/** The DVR page. */
export function DvrPage() {
  useSyncFeatures('nodes', 'model');
  const trpc = useTRPC();
  const q = useQuery(trpc.dvr.view.queryOptions());
  const key = useL2((s) => `${Math.max(s.model.state.seq, s.live.modelSeq)}/${s.nodes.rev}`);
  useRefetchOnChange(key, q.refetch);
  return (
    <HostViewFrame crumbs={[{ href: '/overview', label: 'Overview' }, { label: 'DVR' }]} testid="dvr-page">
      {q.data ? <DvrBody v={q.data} /> : <p className="pad muted">{q.error ? `DVR view unavailable: ${q.error.message}` : 'Loading…'}</p>}
    </HostViewFrame>
  );
}

function DvrBody({ v }: { v: View }) {
  return (
    <>
      <Card title={`DVR findings (${v.findings.length})`} testid="dvr-findings">
        {v.findings.length === 0 ? (
          <p className="muted small">No DVR finding.</p>
        ) : (
          <ul className="small">
            {v.findings.map((f, i) => (
              <li key={i} data-testid="dvr-finding" data-kind={f.kind} data-host={f.host} data-severity={f.severity}>
                <code className={TONE[f.severity]}>{f.kind}</code> <Link href={hostHref(f.host)}>{f.host}</Link> — {f.detail}
              </li>
            ))}
          </ul>
        )}
      </Card>
      <Card title={`DVR MACs per host (${v.hosts.length})`} testid="dvr-hosts">
        <p className="muted small">
          Announced: the server&apos;s last <code>dvr_mac_address_update</code> ({v.macs.length} hosts). Installed: the source rewrite of br-tun table 1. Peers:
          other hosts&apos; DVR MACs found in br-tun table 9 and br-int table 0. {v.messages} DVR messages folded.
        </p>
        <table className="grid">
          <thead>
            <tr>
              <th>host</th>
              <th>DVR</th>
              <th>l2pop</th>
              <th>ARP responder</th>
              <th title="agent_mode of the host's L3 agent, from its own report_state">L3 agent</th>
              <th>DVR MAC announced</th>
              <th>DVR MAC installed</th>
              <th>peers held</th>
              <th>missing peers</th>
              <th>routers</th>
            </tr>
          </thead>
          <tbody>
            {v.hosts.map((h) => (
              <tr
                key={h.host}
                data-testid="dvr-host"
                data-host={h.host}
                data-missing={h.missingPeers.length}
                data-peers={`${h.peersInstalled}/${h.peers}`}
                data-routers={h.routers ?? ''}
                data-l3-mode={h.l3AgentMode ?? ''}
              >
                <td>
                  <Link href={hostHref(h.host)}>{h.host}</Link>
                </td>
                <td>{flag(h.distributedRouting)}</td>
                <td>{flag(h.l2population)}</td>
                <td>{flag(h.arpResponder)}</td>
                <td data-testid="dvr-l3-mode">{h.l3AgentMode ?? '—'}</td>
                <td className="mono">{h.announcedMac ?? '—'}</td>
                <td className={`mono ${h.announcedMac && h.installedMac && h.announcedMac !== h.installedMac ? 'text-bad' : ''}`}>{h.installedMac ?? '—'}</td>
                <td>
                  {h.peersInstalled}/{h.peers}
                </td>
                <td className="mono text-bad">{h.missingPeers.map((p) => `${p.host} ${p.mac} (${p.tables.join(', ')})`).join('; ')}</td>
                <td>{h.routers ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
      <Card title={`Static ARP entries per router (${v.arp.length})`} testid="dvr-arp">
        <p className="muted small">
          Announced: <code>add_arp_entry</code> / <code>del_arp_entry</code> on <code>l3_agent_fanout</code>. Held: <code>nud permanent</code> neighbours on the{' '}
          <code>qr-</code> devices of <code>qrouter-&lt;router&gt;</code> on each host that has the namespace.
        </p>
        <table className="grid">
          <thead>
            <tr>
              <th>router</th>
              <th>subnet</th>
              <th>IP</th>
              <th>MAC announced</th>
              <th>held per host</th>
            </tr>
          </thead>
          <tbody>
            {v.arp.map((a) => (
              <tr key={`${a.router}|${a.ip}`} data-testid="dvr-arp-row" data-router={a.router} data-ip={a.ip}>
                <td className="mono" title={a.router}>
                  {short(a.router)}
                </td>
                <td className="mono" title={a.subnet ?? ''}>
                  {a.subnet ? short(a.subnet) : '—'}
                </td>
                <td className="mono">{a.ip}</td>
                <td className="mono">{a.announcedMac ?? 'not announced'}</td>
                <td>
                  {a.held.map((h) => (
                    <span
                      key={h.host}
                      className={`chip ${h.mac === a.announcedMac ? '' : 'text-bad'}`}
                      data-testid="dvr-arp-held"
                      data-host={h.host}
                      data-ok={h.mac === a.announcedMac ? 'yes' : 'no'}
                      title={h.device ?? 'no entry'}
                    >
                      {h.host}: {h.mac ?? 'missing'}
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
    </>
  );
}
