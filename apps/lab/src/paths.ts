/**
 * Where the lab keeps its files, and the fixed names and addresses it uses (docs/lab.md#layout, docs/lab.md#topology).
 *
 * Everything the lab writes lives under {@link LAB_ROOT} (configs, logs, Neutron state,
 * the PID/state file) plus the AMQP relay socket under {@link LAB_RUN}. Every namespace it
 * creates starts with {@link NS_PREFIX}, so `down` can never touch someone else's namespace.
 */
import path from 'node:path';

/** Root of the lab's files; override with `L2SCOPE_LAB_ROOT` (e.g. for tests). */
export const LAB_ROOT = process.env.L2SCOPE_LAB_ROOT ?? '/var/lib/l2scope-lab';
/** Runtime dir for the AMQP relay's unix socket (docs/lab.md#amqp-relay `/run/l2lab/amqp.sock`). */
export const LAB_RUN = process.env.L2SCOPE_LAB_RUN ?? '/run/l2scope-lab';

/** The lab's paths, all absolute. */
export const paths = {
  root: LAB_ROOT,
  state: path.join(LAB_ROOT, 'state.json'),
  /** The lock of the state file (a directory, `proper-lockfile`). */
  lock: path.join(LAB_ROOT, 'state.json.lock'),
  etc: path.join(LAB_ROOT, 'etc'),
  logs: path.join(LAB_ROOT, 'logs'),
  neutronState: path.join(LAB_ROOT, 'neutron'),
  serverConf: path.join(LAB_ROOT, 'etc', 'neutron.conf'),
  ml2Conf: path.join(LAB_ROOT, 'etc', 'ml2_conf.ini'),
  amqpSock: path.join(LAB_RUN, 'amqp.sock'),
  /** Per host: its config dir (`neutron.conf` + `linuxbridge_agent.ini` / `openvswitch_agent.ini`). */
  hostEtc: (host: string) => path.join(LAB_ROOT, 'etc', 'agents', host),
  /** Per host: the agent's `state_path`. */
  hostState: (host: string) => path.join(LAB_ROOT, 'agents', host),
  log: (name: string) => path.join(LAB_ROOT, 'logs', `${name}.log`),
};

/** Prefix of every network namespace the lab creates. */
export const NS_PREFIX = 'l2lab-';
/** The underlay ("physical network") namespace holding `br-fabric`. */
export const FABRIC_NS = `${NS_PREFIX}fabric`;
/** Namespace standing in for hypervisor `host`. */
export const hostNs = (host: string) => `${NS_PREFIX}${host}`;
/** Namespace of a VM. */
export const vmNs = (vm: string) => `${NS_PREFIX}${vm}`;

/** Neutron API, on loopback (docs/lab.md#server). */
export const API_PORT = Number(process.env.L2SCOPE_LAB_API_PORT ?? 9696);
/** Base URL of the Neutron API. */
export const API_URL = `http://127.0.0.1:${API_PORT}`;
/** Default broker: the machine's RabbitMQ, vhost "/". */
export const DEFAULT_AMQP = 'amqp://guest:guest@127.0.0.1:5672/';
/** MariaDB (root, no password, on loopback) and the lab's own database / user. */
export const DB = { host: '127.0.0.1', port: 3306, name: 'l2scope_lab_neutron', user: 'l2scope_lab', password: 'l2scope_lab' };

/** The lab's tenant network (docs/lab.md#network-and-vms). */
export const NETWORK = { name: 'l2lab-selfservice', subnetName: 'l2lab-selfservice-v4', cidr: '172.16.1.0/24', prefix: 24, mtu: 1450 };
/**
 * The GRE network of `lab up --gre` (docs/lab.md#gre): OVS hosts only (the Linux bridge agent has no
 * GRE), segmentation id = the lab's VNI on purpose (a GRE key and a VXLAN VNI are separate ranges).
 * VM MTU 1450 as on the VXLAN network (Neutron gives a GRE network 1458: 1500 - 42 of IPv4 + GRE with key + Ethernet).
 */
export const GRE_NETWORK = { name: 'l2lab-gre', subnetName: 'l2lab-gre-v4', cidr: '172.16.2.0/24', prefix: 24, mtu: 1450 };
/** Default VXLAN VNI and multicast group (docs/lab.md#layout). */
export const DEFAULT_VNI = 649;
/** The Linux bridge agent's `vxlan_group` (Lab1 floods BUM to it). */
export const VXLAN_GROUP = '224.0.0.1';
/** The Linux VXLAN default UDP port, used by the Linux bridge agent (docs/lab.md#gotcha-7); OVS is told to use it too (docs/lab.md#ovs-host). */
export const VXLAN_PORT = 8472;
/** A Linux bridge host's underlay interface holding its VTEP (fabric.ts): the `dev` of its VXLAN devices. */
export const UNDERLAY_DEV = 'ul0';
/** Agents' polling / report intervals in seconds (docs/lab.md#agents). */
export const POLLING_INTERVAL = 2;
/** `[agent] report_interval` (seconds between `report_state` heartbeats). */
export const REPORT_INTERVAL = 30;
/** neutron-server's `agent_down_time` (seconds): Neutron's default, which the lab keeps unless `lab up --agent-down-time` says otherwise. */
export const AGENT_DOWN_TIME = 75;

/** PATH for every daemon: Debian's python3, never pyenv's shims (docs/lab.md#gotcha-8). */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
