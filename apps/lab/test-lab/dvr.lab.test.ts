/**
 * The DVR lab (docs/lab.md#dvr) on the real Neutron: `up --hosts 1 --ovs-hosts 2 --gre --dvr`
 * (ovs1 `dvr_snat`, ovs2 `dvr`, one distributed router on the VXLAN and GRE subnets).
 * 1. Each OVS host's flows hold the DVR tables: br-tun table 1 rewrites the router's qr MACs to the
 *    host's own DVR MAC, table 9 holds the other host's DVR MAC; br-int tables 1 and 3 are filled.
 * 2. Each host's own `qrouter-<router>` (read inside its mount namespace) holds a permanent
 *    neighbour for every VM port of the two subnets, with the port's MAC; the root mount namespace
 *    lists no `qrouter-`.
 * 3. Every VM pair of the OVS hosts pings, across the two subnets too (east-west through the
 *    distributed router).
 * Brings the lab up and takes it down. Needs root on Debian 12, and the lab lock
 * (`flock /tmp/l2lab.lock`).
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostExecArgv } from '../src/dvr';
import { waitFor } from '../src/exec';
import { tableFlows } from '../src/ovs';
import { lab, labResult, state } from './helpers';

const OVS = ['ovs1', 'ovs2'];

async function inHost(host: string, argv: string[]): Promise<string> {
  const h = state().hosts[host]!;
  const [cmd, ...args] = hostExecArgv(h, true, argv);
  return (await execa(cmd!, args)).stdout;
}

const flows = (host: string, br: string, table: number): Promise<string[]> => tableFlows(state().hosts[host]!, br, table);

describe('the DVR lab', () => {
  beforeAll(async () => {
    await lab('down');
    await lab('up', '--hosts', '1', '--ovs-hosts', '2', '--gre', '--dvr');
  });
  afterAll(async () => {
    await lab('down');
  });

  it("builds the DVR flows: own DVR MAC in br-tun table 1, the peer's in table 9, br-int tables 1 and 3", async () => {
    // The agents install these as they learn them: a host's own DVR MAC when it registers, the
    // peer's when the server's `dvr_mac_address_update` fanout reaches it. `lab up` returns once
    // the agents report, which can be before either: wait for the flows, then assert them.
    const own = new Map<string, string>();
    for (const h of OVS) {
      const mac = await waitFor(
        `${h}'s own DVR MAC in br-tun table 1`,
        async () => /mod_dl_src:([0-9a-f:]{17})/.exec((await flows(h, 'br-tun', 1)).join('\n'))?.[1],
        120_000,
        1000,
      ).catch(() => undefined);
      const t1 = (await flows(h, 'br-tun', 1)).join('\n');
      expect(mac, `${h} br-tun table 1:\n${t1}`).toBeDefined();
      own.set(h, mac!);
      expect((await flows(h, 'br-int', 1)).length).toBeGreaterThan(0);
      expect((await flows(h, 'br-int', 3)).length).toBeGreaterThan(0);
    }
    expect(own.get('ovs1')).not.toBe(own.get('ovs2'));
    for (const h of OVS) {
      const peer = `dl_src=${own.get(OVS.find((x) => x !== h)!)}`;
      const t9 = async () => (await flows(h, 'br-tun', 9)).join('\n');
      await waitFor(`${h}'s br-tun table 9 to hold ${peer}`, async () => ((await t9()).includes(peer) ? true : undefined), 120_000, 1000).catch(() => false);
      expect(await t9()).toContain(peer);
    }
  });

  it("holds every VM port as a permanent neighbour in each host's own qrouter namespace", async () => {
    const s = state();
    const router = s.dvr!.routerId!;
    const want = Object.values(s.vms)
      .map((v) => `${v.ip} ${v.mac}`)
      .sort();
    for (const h of OVS) {
      expect((await inHost(h, ['ip', 'netns', 'list'])).split('\n').map((l) => l.split(' ')[0])).toContain(`qrouter-${router}`);
      // the L3 agent writes a subnet's entries once it has processed that qr- device: wait for them
      const read = async () => {
        const out = await inHost(h, ['ip', '-j', '-n', `qrouter-${router}`, 'neigh', 'show', 'nud', 'permanent']);
        return (JSON.parse(out) as { dst: string; lladdr: string }[]).map((n) => `${n.dst} ${n.lladdr}`).sort();
      };
      const done = await waitFor(`${h}'s static ARP entries`, async () => ((await read()).join() === want.join() ? true : undefined), 90_000, 1000).catch(
        () => false,
      );
      if (!done) expect(await read()).toEqual(want);
    }
    expect((await execa('ip', ['netns', 'list'])).stdout).not.toContain('qrouter-');
  });

  it('pings every pair of the OVS hosts VMs, across the two subnets too', async () => {
    const r = await labResult('ping');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/vm-ovs1-1\s+-> vm-ovs2-2\s+172\.16\.2\.22\s+ok/);
  });
});
