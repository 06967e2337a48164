import type { NextConfig } from 'next';

/**
 * l2scope web: the workspace packages are TypeScript sources (transpiled by Next); Prisma's
 * client, driver adapters and database drivers stay external (loaded by Node at run time).
 */
const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  transpilePackages: ['@l2scope/api', '@l2scope/auth', '@l2scope/db', '@l2scope/domain'],
  serverExternalPackages: ['@prisma/client', '@prisma/adapter-libsql', '@libsql/client', '@prisma/adapter-pg', 'pg'],
  // the monorepo root holds the lockfile: trace server files from there
  outputFileTracingRoot: new URL('../../', import.meta.url).pathname,
  turbopack: { root: new URL('../../', import.meta.url).pathname },
};

export default nextConfig;
