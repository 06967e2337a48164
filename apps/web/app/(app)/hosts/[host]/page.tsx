import type { Metadata } from 'next';
import { HostPage } from '@/components/host-view/HostPage';
import { routeParam } from '@/lib/format';

export async function generateMetadata(props: PageProps<'/hosts/[host]'>): Promise<Metadata> {
  const { host } = await props.params;
  return { title: `${routeParam(host)} — l2scope` };
}

/** One host: expected (told by the server) vs actual (held by its kernel / br-tun). */
export default async function Page(props: PageProps<'/hosts/[host]'>) {
  const { host } = await props.params;
  return <HostPage host={routeParam(host)} />;
}
