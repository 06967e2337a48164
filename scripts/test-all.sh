#!/usr/bin/env bash
# `npm test`: every test of l2scope, on real components.
#  1. typecheck, lint (layering included) and formatting
#  2. unit + integration tests (real RabbitMQ, embedded SQLite)
#  3. the integration suites again on PostgreSQL (api, auth whole; the worker's SQL-bound suites;
#     packages/db's tests run on both engines in step 2)
#  4. Playwright in Debian Chromium against the built dashboard, on SQLite (every spec), then the
#     SQL-bound specs on PostgreSQL
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

# On PostgreSQL: every procedure (api) and session (auth) test, and the worker and browser suites
# whose outcome goes through SQL that differs by engine (the batched writes in packages/db/src/bulk.ts,
# the inspector's filters in message-query.ts, the advisory-lock failover, retention, findings and
# snapshots read back). The rest of those two suites (toggle runs, liveness, live transport,
# identity) reach the database only through repositories already run on both engines; they run on
# SQLite above. Both suites whole on PostgreSQL doubled CI time past its bound. packages/db is not
# run again: each of its test files runs on both engines by itself (eachProvider /
# describe.each(PROVIDERS), a PostgreSQL database of its own on 127.0.0.1:5432), whatever DATABASE_URL says.
PG_WORKER_SUITES=(failover tap replay bounds poison faults findings-refresh metrics nodes)
PG_E2E_SPECS=(auth inspector live search tap-gap nodes-live toggle-plan toggle-viewer web-security)

step "integration tests on PostgreSQL ($PG_URL)"
DATABASE_URL=$PG_URL npx turbo run test --concurrency=1 --output-logs=full --filter=@l2scope/api --filter=@l2scope/auth
DATABASE_URL=$PG_URL npm -w @l2scope/worker run -s test -- "${PG_WORKER_SUITES[@]/%/.integration.test.ts}"

step "build the dashboard"
npx turbo run build --filter=@l2scope/web --output-logs=errors-only

step "Playwright e2e in Debian Chromium on SQLite"
npm -w @l2scope/e2e run -s e2e

step "Playwright e2e in Debian Chromium on PostgreSQL (the specs whose pages read engine-specific SQL)"
DATABASE_URL=$PG_URL npm -w @l2scope/e2e run -s e2e -- "${PG_E2E_SPECS[@]/#/tests/}"

step "all tests passed"
