/**
 * The dashboard's tRPC API (thin): the model projection for the initial topology, message history
 * with the inspector's filters, one message in full, worker counters, the node view, the names from
 * Neutron's API; and the
 * admin toggles (plan, approve, cancel; their jobs and audit log, docs/toggles.md), the only
 * writes. Each procedure lives in `routers/<area>/<verb>.ts` (one repository call) with its input and
 * output schemas in `<verb>.types.ts`. Live updates do not come from here but from the worker's socket.io.
 */
import { auditList } from './routers/audit/list';
import { auditVerify } from './routers/audit/verify';
import { dvrView } from './routers/dvr/view';
import { jobsGet } from './routers/jobs/get';
import { jobsList } from './routers/jobs/list';
import { messagesCount } from './routers/messages/count';
import { messagesFacets } from './routers/messages/facets';
import { messagesGet } from './routers/messages/get';
import { messagesHosts } from './routers/messages/hosts';
import { messagesList } from './routers/messages/list';
import { neutronNames } from './routers/neutron/names';
import { nodesHost } from './routers/nodes/host';
import { nodesNetwork } from './routers/nodes/network';
import { nodesOverview } from './routers/nodes/overview';
import { historyAt } from './routers/history/at';
import { historyDiff } from './routers/history/diff';
import { historyHost } from './routers/history/host';
import { historyNetwork } from './routers/history/network';
import { historyOverview } from './routers/history/overview';
import { searchFind } from './routers/search/find';
import { statsGet } from './routers/stats/get';
import { toggleApprove } from './routers/toggle/approve';
import { toggleCancel } from './routers/toggle/cancel';
import { togglePlan } from './routers/toggle/plan';
import { topologySnapshot } from './routers/topology/snapshot';
import { topologyVteps } from './routers/topology/vteps';
import { router } from './trpc';

export const appRouter = router({
  nodes: router({
    overview: nodesOverview,
    host: nodesHost,
    network: nodesNetwork,
  }),
  topology: router({
    snapshot: topologySnapshot,
    vteps: topologyVteps,
  }),
  dvr: router({
    view: dvrView,
  }),
  messages: router({
    list: messagesList,
    get: messagesGet,
    facets: messagesFacets,
    count: messagesCount,
    hosts: messagesHosts,
  }),
  stats: router({
    get: statsGet,
  }),
  search: router({
    find: searchFind,
  }),
  history: router({
    at: historyAt,
    diff: historyDiff,
    host: historyHost,
    network: historyNetwork,
    overview: historyOverview,
  }),
  neutron: router({
    names: neutronNames,
  }),
  toggle: router({
    plan: togglePlan,
    approve: toggleApprove,
    cancel: toggleCancel,
  }),
  jobs: router({
    list: jobsList,
    get: jobsGet,
  }),
  audit: router({
    list: auditList,
    verify: auditVerify,
  }),
});

export type AppRouter = typeof appRouter;
