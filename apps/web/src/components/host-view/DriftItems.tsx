'use client';
/**
 * Drift items and foreign MACs of a host, each with the rows that prove it. A drift item is what
 * l2pop told the host against what it holds; a foreign MAC is a learned MAC Neutron never announced
 * (not drift, a warning). Both share one row shell.
 */
import type { ReactNode } from 'react';
import { type DriftItem, FLOOD_MAC, type ForeignMac } from '@l2scope/domain';
import { DRIFT_META, FOREIGN_MAC_META, type Tone } from '@/host-view/classes';
import { causeLinks } from '@/host-view/agent';
import { EvidenceBlock } from './Evidence';

/** The host owning a VTEP, null when unknown. */
export type VtepName = (vtep: string) => string | null;

/** `<prefix> <vtep> <host>` with the host's name when known. */
function VtepRef({ prefix, vtep, vtepName }: { prefix: string; vtep: string; vtepName: VtepName }) {
  const host = vtepName(vtep);
  return (
    <span className="mono">
      {prefix} {vtep}
      {host && <span className="vtep-host"> {host}</span>}
    </span>
  );
}

/** The shell both kinds share: badge, class, the item's own chips, detail and evidence. */
function ItemShell({
  tone,
  label,
  cls,
  data,
  chips,
  detail,
  evidence,
}: {
  tone: Tone;
  label: string;
  cls: string;
  data: Record<string, string>;
  chips: ReactNode;
  detail: string;
  evidence: ReactNode;
}) {
  return (
    <li className={`drift-item tone-${tone}`} data-class={cls} {...data}>
      <div className="drift-head">
        <span className={`badge tone-${tone}`}>{label}</span>
        <code className="drift-class">{cls}</code>
        {chips}
      </div>
      <div className="drift-detail">{detail}</div>
      {evidence}
    </li>
  );
}

/** A foreign MAC (`data-testid="foreign-mac"`). */
export function ForeignMacView({ x, vtepName }: { x: ForeignMac; vtepName: VtepName }) {
  return (
    <ItemShell
      tone={FOREIGN_MAC_META.tone}
      label={FOREIGN_MAC_META.label}
      cls={x.class}
      data={{ 'data-testid': 'foreign-mac', 'data-mac': x.mac, 'data-vtep': x.vtep ?? '' }}
      chips={
        <>
          <span className="mono">{x.mac}</span>
          {x.vtep && <VtepRef prefix="learned from" vtep={x.vtep} vtepName={vtepName} />}
          {x.dev && <span className="mono muted small">{x.dev}</span>}
        </>
      }
      detail={x.detail}
      evidence={<EvidenceBlock evidence={x.evidence} />}
    />
  );
}

/**
 * A drift item (`data-testid="drift-item"`) of `host`. When the row carries `causes` (finding keys,
 * e.g. the host's `agent_down`), each is a link to that finding's card on the host page
 * (`data-testid="drift-cause"`).
 */
export function DriftItemView({ x, vtepName, host }: { x: DriftItem; vtepName: VtepName; host: string }) {
  const meta = DRIFT_META[x.class];
  const causes = causeLinks(x.causes, host);
  return (
    <ItemShell
      tone={meta.tone}
      label={meta.label}
      cls={x.class}
      data={{ 'data-testid': 'drift-item', 'data-mac': x.mac ?? '', 'data-vtep': x.vtep ?? '', 'data-ip': x.ip ?? '' }}
      chips={
        <>
          {x.mac && <span className="mono">{x.mac === FLOOD_MAC ? 'flood entry' : x.mac}</span>}
          {x.ip && <span className="mono muted">{x.ip}</span>}
          {x.vtep && <VtepRef prefix="→" vtep={x.vtep} vtepName={vtepName} />}
          {x.expectedVtep && <span className="mono text-ok">expected → {x.expectedVtep}</span>}
          {x.expectedMac && <span className="mono text-ok">expected {x.expectedMac}</span>}
          {x.dev && <span className="mono muted small">{x.dev}</span>}
          {causes.map((c) => (
            <a
              key={c.key}
              href={c.href}
              className="badge tone-bad drift-cause"
              data-testid="drift-cause"
              data-cause={c.key}
              title={`May be caused by the open finding ${c.key}`}
            >
              may be caused by: {c.label}
            </a>
          ))}
        </>
      }
      detail={x.detail}
      evidence={
        x.evidence.length > 0 ? <EvidenceBlock evidence={x.evidence} /> : <div className="small muted">no row on the host: the absence is the evidence</div>
      }
    />
  );
}
