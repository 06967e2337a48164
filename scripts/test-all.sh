#!/usr/bin/env bash
# `npm test`: every test of l2scope, on real components.
#  1. typecheck, lint (layering included) and formatting
#  2. unit + integration tests (real RabbitMQ, embedded SQLite)
#  3. the integration suites again on PostgreSQL
#  4. Playwright in Debian Chromium against the built dashboard, on SQLite then PostgreSQL
# Needs: RabbitMQ on 127.0.0.1:5672 (rabbitmqctl as root for per-suite vhosts), PostgreSQL on
# 127.0.0.1:5432 (trust), Debian chromium, tcpdump, socat (installed here when missing, as root).
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 NEXT_TELEMETRY_DISABLED=1
PG_URL=${L2SCOPE_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
started=$(date +%s)
step() { printf '\n=== %s (%ss) ===\n' "$*" "$(( $(date +%s) - started ))"; }

step "prerequisites: services, Debian packages (chromium, tcpdump, socat)"
bash scripts/ensure-services.sh
bash scripts/ensure-packages.sh

step "typecheck (generates the Prisma clients first)"
npx turbo run typecheck --output-logs=errors-only
npx tsc -p tsconfig.tools.json   # scripts/ and bench/ (no workspace of their own)

step "lint and format (eslint with the layering rules, prettier --check)"
npm run -s lint
npm run -s format:check

step "unit + integration tests on SQLite"
npx turbo run test --concurrency=1 --output-logs=full

step "integration tests on PostgreSQL ($PG_URL)"
DATABASE_URL=$PG_URL npx turbo run test --concurrency=1 --output-logs=full --filter=@l2scope/db --filter=@l2scope/worker --filter=@l2scope/api --filter=@l2scope/auth

step "build the dashboard"
npx turbo run build --filter=@l2scope/web --output-logs=errors-only

step "Playwright e2e in Debian Chromium on SQLite"
npm -w @l2scope/e2e run -s e2e

step "Playwright e2e in Debian Chromium on PostgreSQL"
DATABASE_URL=$PG_URL npm -w @l2scope/e2e run -s e2e

step "all tests passed"
