import type { Metadata, Viewport } from 'next';
import { connection } from 'next/server';
import type { ReactNode } from 'react';
import '@xyflow/react/dist/style.css';
import 'react-json-view-lite/dist/index.css';
import './globals.css';
import { AppProviders } from '@/components/AppProviders';
import { liveConfigFromEnv } from '@/lib/live-config';

export const metadata: Metadata = {
  title: 'l2scope — l2pop observatory',
  description: 'Live observatory for OpenStack Neutron L2 population on VXLAN networks',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

/**
 * Root layout: system fonts only (no network fetch at build or run time). Rendered per request so
 * the live endpoint comes from the running server's environment; the providers (and the live
 * socket) persist across client-side navigation between pages.
 */
export default async function RootLayout({ children }: { children: ReactNode }) {
  await connection();
  return (
    <html lang="en">
      <body>
        <AppProviders live={liveConfigFromEnv()}>{children}</AppProviders>
      </body>
    </html>
  );
}
