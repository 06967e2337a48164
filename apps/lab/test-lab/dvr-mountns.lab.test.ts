/**
 * The DVR lab's per-host mount namespace (docs/lab.md#dvr-mount-ns), on the real kernel: two
 * "hosts" each create a network namespace of the same name `qrouter-same`, each with a different
 * permanent neighbour, and each sees only its own; the root namespace sees neither; `ip netns exec`
 * of the host's own namespace still works inside (the node agent's neutron-agent verbs use it);
 * `/sys/class/net` shows the host's devices; teardown leaves no mount behind.
 * Uses its own namespace names (`dvrmnt-*`) and scratch directories, never the lab's. Needs root.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostState } from '../src/state';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'dvrmnt-'));
process.env.L2SCOPE_LAB_RUN = path.join(scratch, 'run');
process.env.L2SCOPE_LAB_ROOT = path.join(scratch, 'root');
const { ensureDvrMountNs, removeAllDvrMountNs } = await import('../src/dvr-lab');
const { hostExecArgv } = await import('../src/dvr');
const { run } = await import('../src/exec');

const tag = `dvrmnt-${process.pid}`;
const hosts: HostState[] = ['a', 'b'].map((n, i) => ({
  name: `${tag}-${n}`,
  ns: `${tag}-${n}`,
  kind: 'ovs',
  index: 10 + i,
  underlayIp: '',
  mode: { l2pop: true, arp: true },
}));
const inHost = (h: HostState, argv: string[]) => {
  const [cmd, ...args] = hostExecArgv(h, true, argv, '/tmp');
  return run(cmd!, args, { allowFail: true });
};

describe('a DVR host sees its own qrouter-* only', () => {
  beforeAll(async () => {
    for (const h of hosts) {
      await run('ip', ['netns', 'add', h.ns]);
      await run('ip', ['-n', h.ns, 'link', 'add', `own-${h.index}`, 'type', 'veth', 'peer', 'name', `peer-${h.index}`]);
      await ensureDvrMountNs(h);
      await ensureDvrMountNs(h); // idempotent
    }
  });
  afterAll(async () => {
    await removeAllDvrMountNs();
    for (const h of hosts) await run('ip', ['netns', 'del', h.ns], { allowFail: true });
    rmSync(scratch, { recursive: true, force: true });
    // the lab's own paths for whatever runs next in this process
    delete process.env.L2SCOPE_LAB_RUN;
    delete process.env.L2SCOPE_LAB_ROOT;
  });

  it('the same qrouter name on two hosts, each with its own neighbour', async () => {
    for (const [i, h] of hosts.entries()) {
      expect((await inHost(h, ['ip', 'netns', 'list'])).stdout.trim()).toBe(h.ns);
      expect((await inHost(h, ['ip', 'netns', 'add', 'qrouter-same'])).ok).toBe(true);
      expect((await inHost(h, ['ip', '-n', 'qrouter-same', 'link', 'add', 'qr-1', 'type', 'veth', 'peer', 'name', 'qr-peer'])).ok).toBe(true);
      const neigh = ['ip', '-n', 'qrouter-same', 'neigh', 'add', `192.168.1.${10 + i}`, 'lladdr', `fa:16:3e:00:00:0${i}`, 'dev', 'qr-1', 'nud', 'permanent'];
      expect((await inHost(h, neigh)).ok).toBe(true);
    }
    for (const [i, h] of hosts.entries()) {
      const held = JSON.parse((await inHost(h, ['ip', '-j', '-n', 'qrouter-same', 'neigh', 'show', 'nud', 'permanent'])).stdout) as {
        dst: string;
        lladdr: string;
      }[];
      expect(held.map((n) => [n.dst, n.lladdr])).toEqual([[`192.168.1.${10 + i}`, `fa:16:3e:00:00:0${i}`]]);
      expect((await inHost(h, ['ls', '/sys/class/net'])).stdout.split('\n')).toContain(`own-${h.index}`);
      expect((await inHost(h, ['pwd'])).stdout.trim()).toBe('/tmp');
      expect((await inHost(h, ['ip', 'netns', 'exec', h.ns, 'ip', '-o', 'link', 'show', `own-${h.index}`])).ok).toBe(true);
    }
    expect((await run('ip', ['netns', 'list'])).stdout).not.toContain('qrouter-same');
  });

  it('teardown leaves no mount of the scratch directories', async () => {
    await removeAllDvrMountNs();
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(scratch);
  });
});
