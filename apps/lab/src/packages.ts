/**
 * The Debian packages the lab needs, installed when missing (docs/lab.md#packages).
 *
 * No systemd here: a `policy-rc.d` that exits 101 keeps postinst scripts from starting
 * daemons (created for the install when missing, removed again afterwards), and the neutron
 * debconf questions are preseeded so no dbconfig / keystone / rabbit setup runs.
 */
import { existsSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { run } from './exec';

/** Packages for the Linux bridge lab (docs/lab.md#packages, docs/lab.md#gotcha-2 and docs/lab.md#gotcha-4, docs/lab.md#ovs-tx-checksum for ethtool). */
export const LINUXBRIDGE_PACKAGES = [
  'neutron-server',
  'neutron-linuxbridge-agent',
  'iptables',
  'ebtables',
  'socat',
  'iproute2',
  'iputils-ping',
  'ethtool',
  'tcpdump',
  'mariadb-server',
  'mariadb-client',
];

/** Extra packages for the userspace Open vSwitch host (docs/lab.md#ovs-host). */
export const OVS_PACKAGES = ['openvswitch-switch', 'neutron-openvswitch-agent'];

/** Extra packages for `lab up --dvr` (docs/lab.md#dvr): the L3 agent (it pulls keepalived, haproxy, radvd; none is started). */
export const DVR_PACKAGES = ['neutron-l3-agent'];

/** debconf preseed lines (docs/lab.md#packages). */
export const PRESEED = [
  'neutron-common neutron/configure_db boolean false',
  'neutron-common neutron/configure_rabbit boolean false',
  'neutron-common neutron/configure_ksat boolean false',
  'neutron-common neutron/configure_nova boolean false',
  'neutron-api neutron/configure_api-endpoint boolean false',
];

const POLICY_RC_D = '/usr/sbin/policy-rc.d';

/** Which of `pkgs` are not installed (`dpkg-query` status other than "install ok installed"). */
export async function missingPackages(pkgs: string[]): Promise<string[]> {
  const r = await run('dpkg-query', ['-W', '-f=${Package} ${Status}\n', ...pkgs], { allowFail: true });
  const installed = new Set(
    r.stdout
      .split('\n')
      .filter((l) => l.endsWith(' install ok installed'))
      .map((l) => l.split(' ')[0]),
  );
  return pkgs.filter((p) => !installed.has(p));
}

/**
 * Install whichever of `pkgs` are missing, then select `ebtables-nft` (docs/lab.md#gotcha-2).
 * @param log progress printer
 * @returns the packages that were installed (empty when all were present)
 * @throws Error with apt's output when the install fails
 */
export async function ensurePackages(pkgs: string[], log: (s: string) => void): Promise<string[]> {
  const missing = await missingPackages(pkgs);
  if (missing.length > 0) {
    log(`installing Debian packages: ${missing.join(' ')}`);
    const t0 = Date.now();
    const createdPolicy = !existsSync(POLICY_RC_D);
    if (createdPolicy) {
      writeFileSync(POLICY_RC_D, '#!/bin/sh\n# written by l2scope lab for the duration of an apt install: start no daemons\nexit 101\n');
      chmodSync(POLICY_RC_D, 0o755);
    }
    try {
      await run('debconf-set-selections', [], { input: PRESEED.join('\n') + '\n' });
      if (!aptListsPresent()) await run('apt-get', ['update'], { timeout: 600_000 });
      const args = [
        'install',
        '-y',
        '--no-install-recommends',
        '-o',
        'Dpkg::Options::=--force-confdef',
        '-o',
        'Dpkg::Options::=--force-confold',
        '-o',
        'Dpkg::Options::=--force-confmiss',
        ...missing,
      ];
      const env = { DEBIAN_FRONTEND: 'noninteractive' };
      let r = await run('apt-get', args, { env, allowFail: true, timeout: 1_200_000 });
      if (!r.ok) {
        // stale or missing package lists: refresh once and retry
        await run('apt-get', ['update'], { timeout: 600_000 });
        r = await run('apt-get', args, { env, timeout: 1_200_000 });
      }
    } finally {
      if (createdPolicy) rmSync(POLICY_RC_D, { force: true });
    }
    log(`packages installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  if (pkgs.includes('ebtables') && existsSync('/usr/sbin/ebtables-nft')) {
    await run('update-alternatives', ['--set', 'ebtables', '/usr/sbin/ebtables-nft']);
  }
  return missing;
}

function aptListsPresent(): boolean {
  try {
    return readdirSync('/var/lib/apt/lists').some((f) => f.endsWith('_Packages') || f.endsWith('_Packages.lz4'));
  } catch {
    return false;
  }
}
