import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import '@xyflow/react/dist/style.css';
import 'react-json-view-lite/dist/index.css';
import './globals.css';

export const metadata: Metadata = {
  title: 'l2scope — l2pop observatory',
  description: 'Live observatory for OpenStack Neutron L2 population on VXLAN networks',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

/** Root layout: system fonts only (no network fetch at build or run time). */
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
