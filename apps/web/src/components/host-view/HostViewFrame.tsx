'use client';
/** Frame of the host-view pages (overview, host, network): the top bar and a scrolling page body. */
import Link from 'next/link';
import type { ReactNode } from 'react';
import { Header } from '../Header';

/** The page frame; `crumbs` are the links above the title (the last one is the current page). */
export function HostViewFrame({
  crumbs,
  children,
  testid,
  attrs,
}: {
  crumbs: { href?: string; label: string }[];
  children: ReactNode;
  testid: string;
  attrs?: Record<string, string>;
}) {
  return (
    <div className="app page-app">
      <Header />
      <main className="page" data-testid={testid} {...attrs}>
        <nav className="crumbs" aria-label="Breadcrumb">
          {crumbs.map((c, i) => (
            <span key={i}>
              {i > 0 && <span className="crumb-sep">›</span>}
              {c.href ? <Link href={c.href}>{c.label}</Link> : <span aria-current="page">{c.label}</span>}
            </span>
          ))}
        </nav>
        {children}
      </main>
    </div>
  );
}

/** A titled card of a page. */
export function Card({
  title,
  aside,
  children,
  className,
  testid,
}: {
  title?: ReactNode;
  aside?: ReactNode;
  children: ReactNode;
  className?: string;
  testid?: string;
}) {
  return (
    <section className={`card${className ? ` ${className}` : ''}`} data-testid={testid}>
      {(title || aside) && (
        <header className="card-head">
          {title && <h2 className="card-title">{title}</h2>}
          {aside && <div className="card-aside">{aside}</div>}
        </header>
      )}
      {children}
    </section>
  );
}
