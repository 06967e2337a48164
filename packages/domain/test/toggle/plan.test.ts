/**
 * predictToggle on the real captures folded by the model (lab1: l2pop off everywhere, lab3: l2pop
 * and ARP responder on, ovs-try: an OVS host among Linux bridge ones): the cross-host findings it
 * predicts are the analysis's own (mixed_l2pop, mixed_arp_responder), plus the plan-only ones.
 */
import { describe, expect, it } from 'vitest';
import { type ClusterModel, type DecodedMessage, decodeMessage, L2POP_FANOUT_EXCHANGE, predictToggle } from '../../src';
import { loadCapture, modelAt, snapshotTimes } from '../fixtures';

/** The model of a lab capture at one of its snapshot steps. */
const labAt = (scenario: string, step: string): ClusterModel => modelAt(loadCapture(scenario), snapshotTimes(scenario).get(step)!);

function decoded(exchange: string, routingKey: string, message: unknown): DecodedMessage {
  const body = JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(message) });
  const r = decodeMessage({ exchange, routingKey, body });
  if (!r.ok) throw new Error(r.error.message);
  return r.message;
}

describe('predictToggle', () => {
  it('lab1 (flood-and-learn): l2pop on for compute1 alone predicts mixed_l2pop on selfservice, a clean switch with downtime', () => {
    const model = labAt('lab1', '1-ports-active');
    const p = predictToggle({ model, hosts: ['compute1'], change: { l2_population: true }, inPlace: false });
    console.log(JSON.stringify(p, null, 1));
    expect(p.method).toBe('clean');
    expect(p.applicable).toBe(true);
    expect(p.downtimeS).toBeGreaterThan(0);
    const mixed = p.predicted.find((f) => f.kind === 'mixed_l2pop');
    expect(mixed?.hosts).toEqual(['compute1', 'compute2', 'controller']);
    expect(mixed?.detail).toMatch(/on: compute1; off: compute2, controller/);
    expect(mixed?.detail).not.toMatch(/already so/);
    // every host together: nothing mixed
    const all = predictToggle({ model, hosts: ['compute1', 'compute2', 'controller'], change: { l2_population: true }, inPlace: false });
    expect(all.predicted.map((f) => f.kind)).toEqual([]);
  });

  it('lab3: ARP responder off on one host predicts mixed_arp_responder (error); in place predicts half_switched_vxlan', () => {
    const model = labAt('lab3', '1-ports-active');
    const known = { controller: { arpResponder: true }, compute1: { arpResponder: true }, compute2: { arpResponder: true } };
    const p = predictToggle({ model, hosts: ['compute2'], change: { arp_responder: false }, inPlace: true, known });
    console.log(p.predicted.map((f) => `${f.kind} ${f.severity} ${f.hosts.join(',')}`).join('\n'));
    expect(p.method).toBe('in_place');
    expect(p.downtimeS).toBe(0);
    const arp = p.predicted.find((f) => f.kind === 'mixed_arp_responder');
    expect(arp?.severity).toBe('error');
    expect(arp?.detail).toMatch(/ARP responder on: compute1, controller; off: compute2/);
    const half = p.predicted.find((f) => f.kind === 'half_switched_vxlan');
    expect([half?.severity, half?.hosts]).toEqual(['error', ['compute2']]);
    // the same change, clean: no half-switched device
    const clean = predictToggle({ model, hosts: ['compute2'], change: { arp_responder: false }, inPlace: false, known });
    expect(clean.predicted.map((f) => f.kind)).toEqual(['mixed_arp_responder']);
  });

  it('lab3: a batch switching ARP responder off on every host predicts its end state; the mixed state in between is transient', () => {
    const model = labAt('lab3', '1-ports-active');
    const known = { controller: { arpResponder: true }, compute1: { arpResponder: true }, compute2: { arpResponder: true } };
    const order = ['compute1', 'compute2', 'controller'];
    const plans = order.map((h, i) =>
      predictToggle({
        model,
        hosts: [h],
        change: { arp_responder: false },
        inPlace: false,
        known,
        batch: { earlier: order.slice(0, i), later: order.slice(i + 1) },
      }),
    );
    // no host's plan predicts an error of the end state
    expect(plans.map((p) => p.predicted.filter((f) => f.severity === 'error' && !f.transient).length)).toEqual([0, 0, 0]);
    // the first two leave the network mixed until the last host switches; the last one does not
    const transient = plans.map((p) => p.predicted.filter((f) => f.transient).map((f) => f.kind));
    expect(transient).toEqual([['mixed_arp_responder'], ['mixed_arp_responder'], []]);
    expect(plans[0]!.predicted[0]!.detail).toMatch(/^while the batch runs \(until 2 more hosts switch\): .*on: compute2, controller; off: compute1/);
    expect(plans[1]!.predicted[0]!.detail).toMatch(/^while the batch runs \(until controller switches\): .*on: controller; off: compute1, compute2/);
    // the same host alone (no batch): the mixed state is its end state, an error
    const alone = predictToggle({ model, hosts: ['compute1'], change: { arp_responder: false }, inPlace: false, known });
    expect(alone.predicted.map((f) => [f.kind, f.severity, f.transient ?? false])).toEqual([['mixed_arp_responder', 'error', false]]);
  });

  it('agent-down capture: switching compute2, whose agent stopped reporting past agent_down_time, predicts agent_down (error); alive compute1 does not', () => {
    const model = labAt('agent-down', '9-compute3-joined-compute2-frozen');
    const down = predictToggle({ model, hosts: ['compute2'], change: { l2_population: false }, inPlace: false });
    const f = down.predicted.find((x) => x.kind === 'agent_down');
    expect([f?.severity, f?.hosts]).toEqual(['error', ['compute2']]);
    // compute2's last report_state is 84 s before the snapshot (events.tsv); agent_down_time 75 s
    expect(f?.detail).toMatch(/compute2's agent has sent no report_state for 8\d s \(agent_down_time 75 s\)/);
    const alive = predictToggle({ model, hosts: ['compute1'], change: { l2_population: false }, inPlace: false });
    expect(alive.predicted.map((x) => x.kind)).not.toContain('agent_down');
  });

  it('a VTEP of the network known only from casts (no report_state yet) is named in a warning, not predicted', () => {
    const model = labAt('lab3', '1-ports-active');
    const network = Object.keys(model.host('compute1')!.networks)[0]!;
    const before = predictToggle({ model, hosts: ['compute1'], change: { l2_population: false }, inPlace: false });
    expect(before.warnings).toEqual([]);
    // a fourth VTEP announces a port on the network before its agent ever reported
    const cast = decoded(L2POP_FANOUT_EXCHANGE, '', {
      method: 'add_fdb_entries',
      args: {
        fdb_entries: {
          [network]: {
            segment_id: 649,
            network_type: 'vxlan',
            ports: {
              '10.0.20.99': [
                ['00:00:00:00:00:00', '0.0.0.0'],
                ['fa:16:3e:00:00:99', '172.16.1.99'],
              ],
            },
          },
        },
      },
    });
    model.apply(cast, Date.now(), 1e9);
    const p = predictToggle({ model, hosts: ['compute1'], change: { l2_population: false }, inPlace: false });
    expect(p.warnings).toEqual([`10.0.20.99 on ${network}: no report_state from its agent yet, so its agent type and mode are unknown and not predicted`]);
  });

  it('ovs-try: l2pop off on an OVS host predicts mixed_l2pop and a restart; with DVR reported it is not applicable', () => {
    const model = modelAt(loadCapture('ovs-try'));
    const p = predictToggle({ model, hosts: ['ovs1'], change: { l2_population: false }, inPlace: false });
    expect([p.method, p.applicable]).toEqual(['restart', true]);
    expect(p.predicted.map((f) => f.kind)).toContain('mixed_l2pop');

    const ovs1 = model.host('ovs1')!;
    model.apply(
      decoded('neutron', 'q-reports-plugin', {
        method: 'report_state',
        args: {
          agent_state: {
            agent_state: {
              binary: 'neutron-openvswitch-agent',
              host: 'ovs1',
              agent_type: 'Open vSwitch agent',
              start_flag: false,
              configurations: {
                tunneling_ip: ovs1.vtep,
                l2_population: true,
                arp_responder_enabled: true,
                enable_distributed_routing: true,
                tunnel_types: ['vxlan'],
              },
            },
          },
        },
      }),
      Date.now(),
      model.seq + 1,
    );
    const dvr = predictToggle({ model, hosts: ['ovs1'], change: { l2_population: false }, inPlace: false });
    expect(dvr.applicable).toBe(false);
    expect(dvr.predicted.find((f) => f.kind === 'dvr_needs_l2pop')?.severity).toBe('error');
  });

  it('ovs-try: l2pop off on the OVS host predicts no_tunnel_to_linuxbridge naming its Linux bridge peers; l2pop on, or a Linux bridge host, does not', () => {
    const model = modelAt(loadCapture('ovs-try'));
    const p = predictToggle({ model, hosts: ['ovs1'], change: { l2_population: false }, inPlace: false });
    const lb = model
      .hostIds()
      .map((id) => model.host(id)!)
      .filter(
        (h) => h.name !== 'ovs1' && h.agentType === 'Linux bridge agent' && Object.keys(h.networks).some((n) => model.host('ovs1')!.networks[n] !== undefined),
      )
      .map((h) => h.name!)
      .sort();
    expect(lb.length).toBeGreaterThan(0);
    const f = p.predicted.find((x) => x.kind === 'no_tunnel_to_linuxbridge');
    console.log(`${f?.kind} ${f?.severity} ${f?.hosts.join(',')}: ${f?.detail}`);
    expect(f?.severity).toBe('warning');
    expect(f?.hosts).toEqual(['ovs1', ...lb]);
    expect(f?.networks.length).toBeGreaterThan(0);
    expect(f?.detail).toMatch(new RegExp(`no tunnel to ${lb.join(', ')}`));
    // l2pop staying on, and a Linux bridge host turning it off: no such prediction
    expect(predictToggle({ model, hosts: ['ovs1'], change: { arp_responder: true }, inPlace: false }).predicted.map((x) => x.kind)).not.toContain(
      'no_tunnel_to_linuxbridge',
    );
    expect(predictToggle({ model, hosts: [lb[0]!], change: { l2_population: false }, inPlace: false }).predicted.map((x) => x.kind)).not.toContain(
      'no_tunnel_to_linuxbridge',
    );
  });

  it('Linux bridge l2pop off -> on with 3 active ports on the network predicts no full-FDB gap (the restart resets them to BUILD); no casts seen predicts no_l2pop_casts', () => {
    const model = labAt('lab1', '1-ports-active');
    const vtep = model.host('compute1')!.vtep!;
    const network = Object.keys(model.host('compute1')!.networks)[0]!;
    const ports = [['00:00:00:00:00:00', '0.0.0.0']].concat([1, 2, 3].map((i) => [`fa:16:3e:00:00:0${i}`, `172.16.1.${100 + i}`]));
    model.apply(
      decoded(L2POP_FANOUT_EXCHANGE, '', {
        method: 'add_fdb_entries',
        args: { fdb_entries: { [network]: { segment_id: 649, network_type: 'vxlan', ports: { [vtep]: ports } } } },
      }),
      model.clock + 1000, // a second into the capture: every agent still alive
      model.seq + 1,
    );
    expect(model.vtepEntries(network, vtep)!.macs.length).toBeGreaterThanOrEqual(3);
    expect(model.host('compute1')!.agentType).toBe('Linux bridge agent');
    const p = predictToggle({ model, hosts: ['compute1'], change: { l2_population: true }, inPlace: false, noL2popCasts: true });
    // the lab (Zed, Linux bridge) got the host-directed full FDB after such a restart: nothing to predict
    // (lab1 runs l2pop off everywhere: compute1 alone on makes the network mixed)
    expect(p.predicted.map((f) => f.kind)).toEqual(['mixed_l2pop', 'no_l2pop_casts']);
    expect(p.predicted.find((f) => f.kind === 'no_l2pop_casts')?.severity).toBe('warning');
    expect(p.warnings.join('\n')).not.toMatch(/full-FDB gap/);
    expect(p.method).toBe('clean');
  });

  it('an unknown host is named in a warning and changes nothing', () => {
    const p = predictToggle({ model: labAt('lab1', '1-ports-active'), hosts: ['nowhere'], change: { l2_population: true }, inPlace: false });
    expect(p.predicted).toEqual([]);
    expect(p.warnings[0]).toMatch(/nowhere: no report_state/);
  });
});
