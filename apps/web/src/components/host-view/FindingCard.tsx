'use client';
/** One cross-host finding: kind, network, the hosts named (linked), what is wrong and the fix, evidence on demand. */
import Link from 'next/link';
import { findingKey } from '@l2scope/domain';
import { FINDING_META } from '@/host-view/classes';
import { findingAnchor } from '@/host-view/agent';
import type { ListedFinding } from '@/state/host-view';
import { useL2 } from '@/state/store';
import { ago, clockTime, dateTime, hostHref, networkHref } from '@/lib/format';
import { useAsOf } from '@/hooks/use-as-of';
import { EvidenceBlock } from './Evidence';

/**
 * A finding card (`data-testid="finding"`). An open one has the id {@link findingAnchor} of its key,
 * the target of drift rows' cause links.
 */
export function FindingCard({ f, now, openEvidence = false }: { f: ListedFinding; now: number; openEvidence?: boolean }) {
  const { at } = useAsOf();
  const meta = FINDING_META[f.kind] ?? { label: f.kind, tone: 'warn' as const };
  const hosts = [...f.hosts].sort();
  const resolved = f.resolvedAt !== null;
  // a network id the loaded live model no longer holds: Neutron deleted it (network_delete)
  const deleted = useL2(
    (s) =>
      s.model.status === 'ready' &&
      !f.network.startsWith('vtep:') &&
      !f.network.startsWith('vni:') &&
      !s.model.state.snapshot.networks.some((n) => n.id === f.network),
  );
  return (
    <article
      id={resolved ? undefined : findingAnchor(findingKey(f))}
      className={`finding tone-${resolved ? 'resolved' : meta.tone}`}
      data-testid="finding"
      data-kind={f.kind}
      data-network={f.network}
      data-hosts={hosts.join(',')}
      data-resolved={String(resolved)}
    >
      <header className="finding-head">
        <span className="finding-label">{meta.label}</span>
        <code className="finding-kind">{f.kind}</code>
        <span className="finding-net">
          {f.network.startsWith('vtep:') ? (
            <>VTEP {f.network.slice(5)}</>
          ) : f.network.startsWith('br-tun:') ? (
            <>br-tun (host-wide)</>
          ) : f.network.startsWith('agent:') ? (
            <>L2 agent on {f.network.slice(6)}</>
          ) : f.network.startsWith('vni:') ? (
            <>VNI {f.vni ?? f.network.slice(4)} (network unknown to the model)</>
          ) : (
            <Link href={networkHref(f.network, at)} title={`network ${f.network}`}>
              {f.vni !== null ? `VNI ${f.vni}` : 'network'} · {f.network.slice(0, 8)}
            </Link>
          )}
          {deleted && (
            <span className="chip" data-testid="finding-network-deleted" title="Neutron deleted this network (network_delete)">
              deleted
            </span>
          )}
        </span>
        <span className="finding-hosts" aria-label="Hosts involved">
          {hosts.map((h) => (
            <Link key={h} href={hostHref(h, at)} className="host-chip">
              {h}
            </Link>
          ))}
        </span>
        <span
          className="finding-time muted small"
          title={`first seen ${dateTime(f.firstSeenAt)}, last seen ${dateTime(f.lastSeenAt)}${resolved ? `, resolved ${dateTime(f.resolvedAt)}` : ''}`}
        >
          {resolved ? `resolved ${ago(f.resolvedAt, now)}` : `first seen ${ago(f.firstSeenAt, now)}`} · {clockTime(f.firstSeenAt)} UTC
        </span>
      </header>
      <p className="finding-detail">{f.detail}</p>
      {f.evidence.length > 0 && (
        <details className="finding-evidence" open={openEvidence}>
          <summary>
            Evidence ({f.evidence.length} {f.evidence.length === 1 ? 'row' : 'rows'})
          </summary>
          <EvidenceBlock evidence={f.evidence} />
        </details>
      )}
    </article>
  );
}
