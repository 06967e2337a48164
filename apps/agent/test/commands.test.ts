/**
 * The command side of the agent on real files and real keys: signature checks (jose, Ed25519), the
 * replay cache and its file, the ini edit (byte for byte on the fixtures' inis, the lab's rendered
 * inis and a commented Debian-style ini), atomic writes, backups and their index.
 */
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CompactSign, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupIndex, BACKUP_INDEX_MAX } from '../src/commands/backups';
import { chooseIni, iniDiff, readIniMode, setIniMode } from '../src/commands/ini-edit';
import { ReplayCache } from '../src/commands/replay-cache';
import { NeutronService, detectService, runArgv, splitArgv } from '../src/commands/service';
import { CommandActions } from '../src/commands/actions';
import { COMMAND_MAX_BYTES, type CommandKey, type ReadCommandContext, loadCommandKey, readCommand } from '../src/commands/verify';
import { writeFileAtomic } from '../src/commands/atomic';

const FIXTURES = path.resolve(__dirname, '../../../fixtures');
const HOST = 'compute1.l2scope.test';

type Keys = Awaited<ReturnType<typeof generateKeyPair>>;
let worker: Keys;
let other: Keys;
let dir: string;
let pub: CommandKey;

const sign = async (payload: unknown, k: Keys = worker, alg = 'EdDSA') =>
  Buffer.from(await new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg }).sign(k.privateKey));
const cmd = (over: Record<string, unknown> = {}) => {
  const now = Math.floor(Date.now() / 1000);
  return {
    id: `cmd-${Math.random().toString(36).slice(2, 12)}`,
    host: HOST,
    action: 'restart_agent',
    params: { job: 'job-1' },
    issuedAt: now,
    expiresAt: now + 30,
    ...over,
  };
};
const ctx = (seen: (id: string) => boolean = () => false): ReadCommandContext => ({ key: pub, host: HOST, nowS: Math.floor(Date.now() / 1000), seen });

beforeAll(async () => {
  worker = await generateKeyPair('EdDSA', { extractable: true });
  other = await generateKeyPair('EdDSA', { extractable: true });
  dir = mkdtempSync(path.join(os.tmpdir(), 'l2sa-cmd-'));
  writeFileSync(path.join(dir, 'worker.pem'), await exportSPKI(worker.publicKey));
  pub = await loadCommandKey(path.join(dir, 'worker.pem'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('command verification', () => {
  it('accepts a command signed by the worker (PEM SPKI or JWK key file)', async () => {
    const r = await readCommand(await sign(cmd()), ctx());
    expect(r.ok).toBe(true);
    writeFileSync(path.join(dir, 'worker.jwk'), JSON.stringify(await exportJWK(worker.publicKey)));
    const jwk = await loadCommandKey(path.join(dir, 'worker.jwk'));
    expect((await readCommand(await sign(cmd()), { ...ctx(), key: jwk })).ok).toBe(true);
  });

  it('refuses a JWK holding the private key', async () => {
    writeFileSync(path.join(dir, 'private.jwk'), JSON.stringify(await exportJWK(worker.privateKey)));
    await expect(loadCommandKey(path.join(dir, 'private.jwk'))).rejects.toThrow(/private key/);
  });

  it('refuses with the reason the contract names', async () => {
    const reason = async (body: Buffer, c = ctx()) => {
      const r = await readCommand(body, c);
      return r.ok ? 'ok' : r.reason;
    };
    const now = Math.floor(Date.now() / 1000);
    expect(await reason(await sign(cmd(), other))).toBe('bad_signature');
    expect(await reason(Buffer.from('not.a.jws'))).toBe('bad_signature');
    expect(await reason(await sign(cmd({ host: 'compute2' })))).toBe('wrong_host');
    expect(await reason(await sign(cmd({ issuedAt: now - 200, expiresAt: now - 150 })))).toBe('expired');
    expect(await reason(await sign(cmd({ issuedAt: now, expiresAt: now + 61 })))).toBe('lifetime_too_long');
    expect(await reason(await sign(cmd({ issuedAt: now + 100, expiresAt: now + 130 })))).toBe('not_yet_valid');
    expect(await reason(await sign(cmd({ action: 'run_shell', params: { argv: ['id'] } })))).toBe('invalid');
    expect(await reason(await sign(cmd({ extra: 1 })))).toBe('invalid');
    expect(
      await reason(
        await sign(cmd()),
        ctx(() => true),
      ),
    ).toBe('replayed');
    expect(await reason(await sign(cmd()), { ...ctx(), key: null })).toBe('read_only');
    expect(await reason(Buffer.alloc(COMMAND_MAX_BYTES + 1, 0x41))).toBe('invalid');
  });

  it('names the refused command from its unverified payload (read-only, bad signature)', async () => {
    const c = cmd();
    const r = await readCommand(await sign(c, other), ctx());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.label).toEqual({ commandId: c.id, action: 'restart_agent', job: 'job-1' });
  });

  it('accepts EdDSA only (an HS256 token is a bad signature)', async () => {
    const hs = await new CompactSign(new TextEncoder().encode(JSON.stringify(cmd())))
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('k'.repeat(32)));
    const r = await readCommand(Buffer.from(hs), ctx());
    expect(r.ok ? 'ok' : r.reason).toBe('bad_signature');
  });
});

describe('replay cache', () => {
  it('remembers ids across a restart, forgets them after expiry + skew, refuses when full', async () => {
    const file = path.join(dir, 'state', 'replay.json');
    const now = 1_000_000;
    const a = new ReplayCache(file, 3);
    expect(a.remember('id-a', now + 30, now)).toBe(true);
    await a.persist();
    const b = new ReplayCache(file, 3);
    await b.load(now + 10);
    expect(b.has('id-a')).toBe(true);
    const c = new ReplayCache(file, 3);
    await c.load(now + 36); // 30 + 5 s skew passed
    expect(c.has('id-a')).toBe(false);
    expect(c.remember('x', now + 100, now + 36) && c.remember('y', now + 100, now + 36) && c.remember('z', now + 100, now + 36)).toBe(true);
    expect(c.remember('w', now + 100, now + 36)).toBe(false);
    expect(c.size).toBe(3);
    writeFileSync(file, '{"schema":"other"}');
    await expect(new ReplayCache(file).load(now)).rejects.toThrow(/not an l2scope replay cache/);
  });
});

/** Lines of `a` and `b` that differ (same line count expected unless lines were added). */
function changedLines(a: string, b: string): { removed: string[]; added: string[] } {
  const la = a.split('\n');
  const lb = b.split('\n');
  return { removed: la.filter((l, i) => lb[i] !== l), added: lb.filter((l, i) => la[i] !== l) };
}

const DEBIAN_LB = `[DEFAULT]

#
# From oslo.log
#

# If set to true, the logging level will be set to DEBUG instead of the default
# INFO level. (boolean value)
# Note: This option can be changed without restarting.
#debug = false


[vxlan]

#
# From neutron.ml2.linuxbridge.agent
#

# Enable VXLAN on the agent. Can be enabled when agent is managed by ml2 plugin
# using linuxbridge mechanism driver (boolean value)
enable_vxlan = True

# Multicast group(s) for vxlan interface. (string value)
;vxlan_group = 224.0.0.1

local_ip=192.0.2.11

# Extension to use alongside ml2 plugin's l2population mechanism driver.
# (boolean value)
#l2_population = false
l2_population   =   True   

# Enable local ARP responder ... (boolean value)
#arp_responder = false

[securitygroup]
firewall_driver = iptables
`;

describe('ini edit', () => {
  it('changes only the changed lines of every fixture ini (comments, other keys, spacing intact)', () => {
    const inis: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ini')) inis.push(p);
      }
    };
    walk(FIXTURES);
    expect(inis.length).toBeGreaterThan(10);
    let edited = 0;
    for (const p of inis) {
      const text = readFileSync(p, 'utf8');
      const section = /^\[ovs\]/m.test(text) ? 'agent' : /^\[vxlan\]/m.test(text) ? 'vxlan' : null;
      if (!section) continue;
      const before = readIniMode(text, section);
      const flip = { l2_population: !(before.l2_population ?? false), arp_responder: !(before.arp_responder ?? false) };
      const out = setIniMode(text, section, flip);
      expect(readIniMode(out, section), p).toEqual(flip);
      const { removed, added } = changedLines(text, out);
      if (before.l2_population !== null && before.arp_responder !== null) {
        expect(out.split('\n').length, p).toBe(text.split('\n').length);
        expect(
          removed.every((l) => /^(l2_population|arp_responder) = /.test(l)),
          p,
        ).toBe(true);
        expect(added.length, p).toBe(2);
      }
      expect(setIniMode(out, section, { l2_population: before.l2_population ?? false, arp_responder: before.arp_responder ?? false }).length).toBeGreaterThan(
        0,
      );
      edited++;
    }
    expect(edited).toBeGreaterThan(10);
  });

  it('gives the original bytes back when a fixture ini (the lab rendered them) is switched there and back', () => {
    for (const f of ['ovs-node/9-compute3-joined/ovs1-agent.ini', 'ovs-node/9-compute3-joined/compute1-agent.ini']) {
      const text = readFileSync(path.join(FIXTURES, f), 'utf8');
      const section = f.includes('ovs1') ? 'agent' : 'vxlan';
      const out = setIniMode(text, section, { arp_responder: false });
      const { removed, added } = changedLines(text, out);
      expect(removed).toEqual(['arp_responder = true']);
      expect(added).toEqual(['arp_responder = false']);
      expect(setIniMode(out, section, { arp_responder: true })).toBe(text);
    }
  });

  it('keeps a commented Debian ini byte for byte but the one value, in its style', () => {
    const out = setIniMode(DEBIAN_LB, 'vxlan', { l2_population: false });
    expect(changedLines(DEBIAN_LB, out)).toEqual({ removed: ['l2_population   =   True   '], added: ['l2_population   =   False   '] });
    expect(setIniMode(DEBIAN_LB, 'vxlan', { l2_population: true })).toBe(DEBIAN_LB); // already so
    // a key only commented out is inserted after the section's last line, not in the comment
    const arp = setIniMode(DEBIAN_LB, 'vxlan', { arp_responder: true });
    expect(arp).toBe(DEBIAN_LB.replace('#arp_responder = false\n', '#arp_responder = false\narp_responder = true\n'));
    expect(readIniMode(arp, 'vxlan')).toEqual({ l2_population: true, arp_responder: true });
    const diff = iniDiff('/etc/neutron/plugins/ml2/linuxbridge_agent.ini', DEBIAN_LB, out);
    expect(diff).toContain('-l2_population   =   True   ');
    expect(diff).toContain('+l2_population   =   False   ');
    expect(iniDiff('/x', DEBIAN_LB, DEBIAN_LB)).toBe('');
  });

  it('appends a missing section, keeps CRLF line ends', () => {
    expect(setIniMode('[ovs]\nlocal_ip = 1.2.3.4\n', 'agent', { l2_population: true })).toBe('[ovs]\nlocal_ip = 1.2.3.4\n\n[agent]\nl2_population = true\n');
    const crlf = '[vxlan]\r\nl2_population = true\r\n\r\n[agent]\r\npolling_interval = 2\r\n';
    expect(setIniMode(crlf, 'vxlan', { l2_population: false })).toBe(crlf.replace('l2_population = true', 'l2_population = false'));
  });

  it('edits the last --ini that has the section (the agent own ini, not neutron.conf)', () => {
    const files = [
      { path: '/etc/neutron/neutron.conf', text: '[DEFAULT]\nhost = c1\n[agent]\nroot_helper = sudo\n' },
      { path: '/etc/neutron/plugins/ml2/linuxbridge_agent.ini', text: '[linux_bridge]\n[vxlan]\nl2_population = true\n' },
    ];
    expect(chooseIni(files, 'linuxbridge')).toBe('/etc/neutron/plugins/ml2/linuxbridge_agent.ini');
    expect(chooseIni([files[0]!, { path: '/o.ini', text: '[ovs]\nlocal_ip = 1.1.1.1\n' }], 'openvswitch')).toBe('/o.ini');
    expect(chooseIni([files[0]!, { path: '/lb.ini', text: '[linux_bridge]\n' }], 'linuxbridge')).toBe('/lb.ini');
    expect(chooseIni([{ path: '/o.ini', text: '[agent]\ntunnel_types = vxlan\n' }, files[0]!], 'openvswitch')).toBe('/o.ini');
  });
});

describe('atomic writes and backups', () => {
  it('writes atomically keeping the mode, backs up once per job, restores from the index', async () => {
    const ini = path.join(dir, 'etc', 'agent.ini');
    await writeFileAtomic(ini, DEBIAN_LB, 0o640);
    chmodSync(ini, 0o640);
    await writeFileAtomic(ini, setIniMode(DEBIAN_LB, 'vxlan', { l2_population: false }));
    expect(statSync(ini).mode & 0o777).toBe(0o640);
    expect(readdirSync(path.dirname(ini)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const index = new BackupIndex(path.join(dir, 'state', 'backups.json'));
    await index.load();
    const b = await index.backup('job-7', ini, Date.UTC(2026, 11, 5, 12, 0, 0));
    expect(b.backup).toBe(`${ini}.l2scope-job-7-20261205T120000Z.bak`);
    expect(statSync(b.backup).mode & 0o777).toBe(0o640);
    expect(readFileSync(b.backup, 'utf8')).toBe(readFileSync(ini, 'utf8'));
    // a second set_mode of the same job keeps the first backup
    expect((await index.backup('job-7', ini, Date.now())).backup).toBe(b.backup);
    const again = new BackupIndex(path.join(dir, 'state', 'backups.json'));
    await again.load();
    expect(again.get('job-7')).toEqual(b);
    expect(BACKUP_INDEX_MAX).toBeGreaterThan(10);
  });

  it('splits command lines like a shell, without running one', () => {
    expect(splitArgv(`/usr/bin/ip netns exec 'l2lab x' sh -c "kill \\$(cat pid)"`, '--restart-command')).toEqual([
      '/usr/bin/ip',
      'netns',
      'exec',
      'l2lab x',
      'sh',
      '-c',
      'kill \\$(cat pid)',
    ]);
    expect(() => splitArgv('   ', '--restart-command')).toThrow(/empty/);
  });
});

describe('service detection and plan warnings', () => {
  it('finds no restart method where neither systemctl, docker nor podman exist', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'l2sa-path-'));
    const svc = await detectService('linuxbridge', {}, { PATH: empty });
    expect(svc.info).toEqual({ method: 'none', name: '' });
    expect(svc.canRestart).toBe(false);
    expect((await svc.restart()).error).toMatch(/no restart method/);
    const cmd = await detectService('linuxbridge', { restart: 'true --x', stop: 'true', start: 'true' });
    expect(cmd.info).toEqual({ method: 'command', name: 'true' });
    expect((await cmd.restart()).ok).toBe(true);
    expect((await runArgv(['false'])).error).toMatch(/^false: exit 1/);
    expect((await runArgv(['/nonexistent/l2scope-tool'])).error).toMatch(/not found/);
    rmSync(empty, { recursive: true, force: true });
  });

  it('plans a kolla OVS host: the reconfigure revert, the config path, DVR cannot drop l2pop', async () => {
    const ini = path.join(dir, 'kolla', 'openvswitch_agent.ini');
    await writeFileAtomic(ini, '[ovs]\nlocal_ip = 10.0.0.5\n\n[agent]\ntunnel_types = vxlan\nl2_population = True\nenable_distributed_routing = True\n');
    const svc = new NeutronService(
      { method: 'kolla', name: 'neutron_openvswitch_agent' },
      { restart: ['docker', 'restart', 'neutron_openvswitch_agent'], stop: null, start: null },
    );
    const actions = new CommandActions({
      host: 'compute9',
      type: 'openvswitch',
      iniPaths: [ini],
      service: svc,
      backups: new BackupIndex(path.join(dir, 'kolla', 'backups.json')),
      env: process.env,
    });
    const plan = await actions.plan({ l2_population: false }, false);
    expect(plan).toMatchObject({
      section: 'agent',
      before: { l2_population: true, arp_responder: null },
      after: { l2_population: false, arp_responder: null },
    });
    expect(plan.diff).toContain('+l2_population = False');
    const w = plan.warnings.join('\n');
    expect(w).toContain(
      'regenerates /etc/kolla/neutron-openvswitch-agent/openvswitch_agent.ini and reverts this change unless /etc/kolla/config/neutron/compute9/openvswitch_agent.ini also sets [agent] l2_population = false',
    );
    expect(w).toMatch(/not there, so the edit may not reach the agent/);
    expect(w).toMatch(/DVR host .* refuses to start without l2_population/);
    expect(readFileSync(ini, 'utf8')).toContain('l2_population = True'); // a plan changes nothing
  });
});
