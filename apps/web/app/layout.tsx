import type { Metadata, Viewport } from 'next';
import { connection } from 'next/server';
import type { ReactNode } from 'react';
import '@xyflow/react/dist/style.css';
import 'react-json-view-lite/dist/index.css';
import './globals.css';
import { AppProviders } from '@/components/AppProviders';

export const metadata: Metadata = {
  title: 'l2scope — l2pop observatory',
  description: 'Live observatory for OpenStack Neutron L2 population on VXLAN networks',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

/**
 * Root layout: system fonts only (no network fetch at build or run time). Rendered per request
 * (nothing is prerendered at build time, when no database may exist); the providers (and the live
 * socket, on the page's own origin) persist across client-side navigation between pages.
 */
export default async function RootLayout({ children }: { children: ReactNode }) {
  await connection();
  return (
    <html lang="en">
      <body>
        <AppProviders>{children}</AppProviders>
      </body>
    </html>
  );
}
