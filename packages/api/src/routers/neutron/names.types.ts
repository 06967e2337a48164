/** `neutron.names`: no input; the Neutron API poller's status and last names, null when the worker never polled an API. */
import type { NeutronApiView } from '@l2scope/domain';
import { z } from 'zod';
import { domainValue } from '../../schemas/domain';

export const ZNeutronNamesInput = z.void();

/** `{ status: NeutronApiStatus, names: NeutronNames | null }` (validated with the domain's schemas where packages/db read it), or null. */
export const ZNeutronNamesOutput = domainValue<NeutronApiView | null>(
  'NeutronApiView (domain neutron-api/view) or null: the poller status and the names of its last read',
);
