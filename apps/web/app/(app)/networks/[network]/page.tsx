import type { Metadata } from 'next';
import { NetworkPage } from '@/components/host-view/NetworkPage';
import { routeParam } from '@/lib/format';

export async function generateMetadata(props: PageProps<'/networks/[network]'>): Promise<Metadata> {
  const { network } = await props.params;
  return { title: `network ${routeParam(network).slice(0, 8)} — l2scope` };
}

/** One network: the flood matrix of its member hosts, BUM rates, its findings. */
export default async function Page(props: PageProps<'/networks/[network]'>) {
  const { network } = await props.params;
  return <NetworkPage network={routeParam(network)} />;
}
