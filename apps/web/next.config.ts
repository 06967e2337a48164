import type { NextConfig } from 'next';

const dev = process.env.NODE_ENV === 'development';

/**
 * Content-Security-Policy of every response. Scripts, styles, images and connections from the
 * dashboard's own origin only ('self' also covers the live socket's ws:/wss: on the same origin).
 * `'unsafe-inline'` for scripts: Next's app router inlines its bootstrap and RSC payload scripts,
 * and a nonce would need every response rendered with one by a proxy function (see
 * docs: Next's content-security-policy guide, "Without Nonces"). `'unsafe-inline'` for styles:
 * React Flow positions nodes and edges with inline `style` attributes. `'unsafe-eval'` only in
 * `next dev` (React's dev tooling).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ''}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Security headers on every response (`headers()` is evaluated by `next build`, so these are fixed in the build). */
const SECURITY_HEADERS = [
  { key: 'Content-Security-Policy', value: CONTENT_SECURITY_POLICY },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'same-origin' },
];

/**
 * l2scope web: the workspace packages are TypeScript sources (transpiled by Next); Prisma's
 * client, driver adapters and database drivers stay external (loaded by Node at run time).
 * Security headers on every response; HSTS only on requests a TLS-terminating reverse proxy
 * forwarded (`X-Forwarded-Proto: https`, checked per request, so the same build serves plain HTTP
 * on localhost without pinning browsers to HTTPS; browsers ignore HSTS received over plain HTTP).
 */
const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  transpilePackages: ['@l2scope/api', '@l2scope/auth', '@l2scope/db', '@l2scope/domain'],
  serverExternalPackages: ['@prisma/client', '@prisma/adapter-libsql', '@libsql/client', '@prisma/adapter-pg', 'pg'],
  // the monorepo root holds the lockfile: trace server files from there
  outputFileTracingRoot: new URL('../../', import.meta.url).pathname,
  turbopack: { root: new URL('../../', import.meta.url).pathname },
  async headers() {
    return [
      { source: '/:path*', headers: SECURITY_HEADERS },
      {
        source: '/:path*',
        has: [{ type: 'header', key: 'x-forwarded-proto', value: 'https' }],
        headers: [{ key: 'Strict-Transport-Security', value: 'max-age=31536000; includeSubDomains' }],
      },
    ];
  },
};

export default nextConfig;
