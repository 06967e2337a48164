import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { commandPublicKeyFile, nodeAgentArgv, nodeAgentStateDir } from '../src/l2scope-agents';
import { commandLine, LAB_MAIN, labCliArgv, neutronAgentArgv, renderFailConfig, TSX_LOADER } from '../src/neutron-agent';
import { paths } from '../src/paths';
import type { HostState } from '../src/state';

const lb: HostState = { name: 'compute1', kind: 'linuxbridge', index: 1, underlayIp: '10.0.20.12', ns: 'l2lab-compute1', mode: { l2pop: true, arp: false } };
const ovs: HostState = { name: 'ovs1', kind: 'ovs', index: 10, underlayIp: '10.0.20.21', ns: 'l2lab-ovs1', mode: { l2pop: true, arp: false } };
const lab = { amqpUrl: 'amqp://guest:guest@127.0.0.1:5672/' };

/** The value following `flag` in an argv. */
const after = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];

describe('neutron-agent argv (what the node agent runs, without npm)', () => {
  it('is node with tsx by absolute path on the lab CLI, so it runs from any working directory', () => {
    expect(neutronAgentArgv('compute1', 'restart', { node: '/usr/bin/node', env: {} })).toEqual([
      '/usr/bin/node',
      '--import',
      TSX_LOADER,
      LAB_MAIN,
      'neutron-agent',
      'restart',
      '--host',
      'compute1',
    ]);
    expect(TSX_LOADER).toMatch(/^\/.*\/node_modules\/tsx\/dist\/loader\.mjs$/);
    expect(LAB_MAIN).toMatch(/^\/.*\/apps\/lab\/src\/main\.ts$/);
  });

  it("carries the lab's moved files or API port through env", () => {
    const a = labCliArgv(['status'], { node: 'node', env: { L2SCOPE_LAB_ROOT: '/tmp/lab root', HOME: '/root', L2SCOPE_LAB_API_PORT: '9797' } });
    expect(a.slice(0, 4)).toEqual(['/usr/bin/env', 'L2SCOPE_LAB_ROOT=/tmp/lab root', 'L2SCOPE_LAB_API_PORT=9797', 'node']);
    expect(a.at(-1)).toBe('status');
  });

  it('becomes one command line that a POSIX word splitter gives back word for word', async () => {
    const argv = [
      '/usr/bin/env',
      "L2SCOPE_LAB_ROOT=/tmp/it's here",
      '/usr/bin/node',
      '--import',
      '/x/loader.mjs',
      'neutron-agent',
      'stop',
      '--host',
      'compute1',
    ];
    const line = commandLine(argv);
    expect(line).toBe("/usr/bin/env 'L2SCOPE_LAB_ROOT=/tmp/it'\\''s here' /usr/bin/node --import /x/loader.mjs neutron-agent stop --host compute1");
    // a real shell splits it back into the same words
    const r = await execa('sh', ['-c', `set -- ${line}; for w in "$@"; do printf '%s\\n' "$w"; done`]);
    expect(r.stdout.split('\n')).toEqual(argv);
  });

  it('fail-next-start moves local_ip, in the section of the agent type, to an address on no host', () => {
    expect(renderFailConfig('linuxbridge')).toMatch(/\[vxlan\]\nlocal_ip = 192\.0\.2\.1\n/);
    expect(renderFailConfig('ovs')).toMatch(/\[ovs\]\nlocal_ip = 192\.0\.2\.1\n/);
  });
});

describe("l2scope node agents' command options", () => {
  it('get the stop/start/restart commands of their own host, a state dir, and the public key when given', () => {
    const a = nodeAgentArgv(lab, lb, { commandPublicKey: '/etc/l2scope/command-key.pub.pem' }, '/usr/bin/node');
    for (const action of ['stop', 'start', 'restart'] as const)
      expect(after(a, `--${action}-command`)).toBe(commandLine(neutronAgentArgv('compute1', action, { node: '/usr/bin/node' })));
    expect(after(a, '--restart-command')).toMatch(/ neutron-agent restart --host compute1$/);
    expect(after(a, '--state-dir')).toBe(`${paths.root}/l2scope-agent-compute1`);
    expect(nodeAgentStateDir('ovs1')).toBe(`${paths.root}/l2scope-agent-ovs1`);
    expect(after(a, '--command-public-key')).toBe('/etc/l2scope/command-key.pub.pem');
    const o = nodeAgentArgv(lab, ovs, {}, '/usr/bin/node');
    expect(after(o, '--stop-command')).toMatch(/ neutron-agent stop --host ovs1$/);
    expect(o).not.toContain('--command-public-key');
  });

  it('take the public key from the option, else L2SCOPE_COMMAND_PUBLIC_KEY, as an absolute path', () => {
    expect(commandPublicKeyFile('/k/a.pem', { L2SCOPE_COMMAND_PUBLIC_KEY: '/k/b.pem' })).toBe('/k/a.pem');
    expect(commandPublicKeyFile(undefined, { L2SCOPE_COMMAND_PUBLIC_KEY: '/k/b.pem' })).toBe('/k/b.pem');
    expect(commandPublicKeyFile('rel.pem', {})).toBe(`${process.cwd()}/rel.pem`);
    expect(commandPublicKeyFile(undefined, { L2SCOPE_COMMAND_PUBLIC_KEY: '' })).toBeUndefined();
    expect(commandPublicKeyFile(undefined, {})).toBeUndefined();
  });
});
