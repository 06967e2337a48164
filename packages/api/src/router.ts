/**
 * The dashboard's tRPC API (read-only, thin): the model projection for the initial topology,
 * message history with the inspector's filters, one message in full, worker counters, the node
 * view. Each procedure lives in `routers/<area>/<verb>.ts` (one repository call) with its input and
 * output schemas in `<verb>.types.ts`. Live updates do not come from here but from the worker's socket.io.
 */
import { messagesFacets } from './routers/messages/facets';
import { messagesGet } from './routers/messages/get';
import { messagesList } from './routers/messages/list';
import { nodesHost } from './routers/nodes/host';
import { nodesNetwork } from './routers/nodes/network';
import { nodesOverview } from './routers/nodes/overview';
import { statsGet } from './routers/stats/get';
import { topologySnapshot } from './routers/topology/snapshot';
import { router } from './trpc';

export const appRouter = router({
  nodes: router({
    overview: nodesOverview,
    host: nodesHost,
    network: nodesNetwork,
  }),
  topology: router({
    snapshot: topologySnapshot,
  }),
  messages: router({
    list: messagesList,
    get: messagesGet,
    facets: messagesFacets,
  }),
  stats: router({
    get: statsGet,
  }),
});

export type AppRouter = typeof appRouter;
