/**
 * `npx tsx apps/agent/bench/flood.ts [packets]` (root): CPU and memory of the agent and its tcpdump
 * while VXLAN traffic floods the underlay. Two namespaces of its own joined by a veth, kernel VXLAN
 * (VNI 649) between them, `ping -f` from one bridge to the other; the agent runs in the sender's
 * namespace (no broker: it keeps retrying, which costs nothing measurable) and its BUM log lines
 * show the sampling. Everything is removed at the end.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Harness, until } from '../test/netns';

const ticks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(x[11]) + Number(x[12]);
};
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root');
  const count = Number(process.argv[2] ?? 300_000);
  const h = new Harness();
  try {
    const a = await h.addNamespace('fa');
    const b = await h.addNamespace('fb');
    await h.ip(a, 'link', 'add', 'ul0', 'type', 'veth', 'peer', 'name', 'ul0', 'netns', b);
    for (const [ns, ip, peer, vm] of [
      [a, '10.99.0.1', '10.99.0.2', '172.31.0.1'],
      [b, '10.99.0.2', '10.99.0.1', '172.31.0.2'],
    ] as const) {
      await h.ip(ns, 'addr', 'add', `${ip}/24`, 'dev', 'ul0');
      await h.ip(ns, 'link', 'set', 'ul0', 'up');
      await h.ip(ns, 'link', 'add', 'vxlan-649', 'type', 'vxlan', 'id', '649', 'local', ip, 'dstport', '8472', 'dev', 'ul0');
      await h.ip(ns, 'link', 'add', 'brq649', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
      await h.ip(ns, 'link', 'set', 'vxlan-649', 'master', 'brq649', 'up');
      await h.ip(ns, 'link', 'set', 'brq649', 'up');
      await h.ip(ns, 'addr', 'add', `${vm}/24`, 'dev', 'brq649');
      await h.exec(ns, 'bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'vxlan-649', 'dst', peer);
    }
    const ini = path.join(h.dir, 'a.ini');
    (await import('node:fs')).writeFileSync(ini, '[vxlan]\nlocal_ip = 10.99.0.1\nl2_population = true\n');
    const agent = h.startAgent(a, ['--host', 'bench', '--ini', ini, '--amqp', 'amqp://127.0.0.1:1/', '--bum-interval', '2', '--interval', '3600']);
    const tcpdumpPid = Number(await until('tcpdump', () => agent.lines.map((l) => /tcpdump pid (\d+)/.exec(l)?.[1]).find(Boolean), 20_000));
    const agentPid = agent.child.pid!;
    await new Promise((r) => setTimeout(r, 3000));
    const idle0 = [ticks(agentPid), ticks(tcpdumpPid), Date.now()] as const;
    await new Promise((r) => setTimeout(r, 10_000));
    const idle1 = [ticks(agentPid), ticks(tcpdumpPid), Date.now()] as const;
    const pct = (t0: number, t1: number, ms: number) => (((t1 - t0) * 10) / ms) * 100;
    console.log(
      `idle 10 s: agent cpu ${pct(idle0[0], idle1[0], idle1[2] - idle0[2]).toFixed(2)}%, tcpdump ${pct(idle0[1], idle1[1], idle1[2] - idle0[2]).toFixed(2)}%, agent rss ${rssMb(agentPid).toFixed(1)} MB, tcpdump rss ${rssMb(tcpdumpPid).toFixed(1)} MB`,
    );
    const before = agent.lines.length;
    const t0 = [ticks(agentPid), ticks(tcpdumpPid), Date.now()] as const;
    const out = await h.exec(a, 'ping', '-f', '-q', '-c', String(count), '172.31.0.2');
    const t1 = [ticks(agentPid), ticks(tcpdumpPid), Date.now()] as const;
    const ms = t1[2] - t0[2];
    const pps = (count * 2) / (ms / 1000); // echo requests + replies cross ul0
    console.log(
      `flood: ${count} echo requests + replies in ${(ms / 1000).toFixed(1)} s = ${(pps / 1000).toFixed(0)} k VXLAN packets/s on ul0 (${out.trim().split('\n').pop()})`,
    );
    console.log(
      `flood: agent cpu ${pct(t0[0], t1[0], ms).toFixed(1)}% of one core, tcpdump ${pct(t0[1], t1[1], ms).toFixed(1)}%, agent rss ${rssMb(agentPid).toFixed(1)} MB, tcpdump rss ${rssMb(tcpdumpPid).toFixed(1)} MB`,
    );
    await new Promise((r) => setTimeout(r, 4500));
    for (const l of agent.lines.slice(before).filter((x) => x.includes('bum:'))) console.log(`  agent: ${l}`);
    await h.stop(agent);
  } finally {
    await h.cleanup();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
