import type { Metadata, Viewport } from 'next';
import { connection } from 'next/server';
import type { ReactNode } from 'react';
import '@xyflow/react/dist/style.css';
import 'react-json-view-lite/dist/index.css';
import './globals.css';
import './toggle.css';

export const metadata: Metadata = {
  title: 'l2scope — l2pop observatory',
  description: 'Live observatory for OpenStack Neutron L2 population on VXLAN networks',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

/**
 * Root layout: system fonts only (no network fetch at build or run time), rendered per request.
 * The dashboard's pages sit in `(app)`, whose layout checks the session and holds the providers
 * and the live socket; `/login` sits outside it.
 */
export default async function RootLayout({ children }: { children: ReactNode }) {
  await connection();
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
