/** The lab's hosts and VTEPs, the bundle files' JSON shapes (to inject faults), and the zero-drift check, shared by the analysis tests. */
import { expect } from 'vitest';
import type { NodeAnalysis } from '../../../src';
import { driftLines, foreignLines } from '../helpers';

export const HOSTS = ['compute1', 'compute2', 'controller'];
export const VTEP: Record<string, string> = {
  controller: '10.0.20.11',
  compute1: '10.0.20.12',
  compute2: '10.0.20.13',
  compute3: '10.0.20.14',
  ovs1: '10.0.20.21',
};

export type FdbJson = { mac: string; ifname: string; dst?: string; flags: string[]; state: string; master?: string }[];
export type NeighJson = { dst: string; dev: string; lladdr: string; state: string[] }[];
export type LinkJson = { ifname?: string; linkinfo: { info_data: Record<string, unknown> } }[];

/** No drift, no foreign MAC, flood lists exactly ideal on every host, no finding. */
export function expectClean(a: NodeAnalysis, hosts = HOSTS): void {
  for (const h of hosts) {
    expect({ host: h, drift: driftLines(a, h), foreign: foreignLines(a, h) }).toEqual({ host: h, drift: [], foreign: [] });
    for (const f of Object.values(a.hosts[h]!.flood))
      expect({ host: h, excess: f.excess, missing: f.missing, actual: f.actual }).toEqual({ host: h, excess: [], missing: [], actual: f.ideal });
  }
  expect(a.findings).toEqual([]);
}
