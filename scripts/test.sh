#!/usr/bin/env bash
# The whole test suite: everything on the embedded defaults (SQLite, in-memory layer), then the
# browser tests and, beside them, the database-sensitive tests again on PostgreSQL and the
# scaled-mode tests on PostgreSQL + Redis. Any failing test, or a phase that collects nothing,
# fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
PG_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
# Embedded-phase tests run in this many processes (pytest-xdist), each on its own SQLite test
# database (test-agentdesk.sqlite3_gw0, …), servers on free ports. One per core: on a machine
# already busy with other work, more processes only slowed the tests with short LCM timeouts.
WORKERS=${TEST_WORKERS:-2}
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT

run_pytest() {
  set +e
  "$PY" -m pytest "$@"
  local status=$?
  set -e
  # 5 = nothing collected: a suite that tests nothing is a failure here.
  if [ "$status" -ne 0 ]; then echo "pytest $* failed with exit code $status" >&2; exit "$status"; fi
}

postgres_reachable() {
  "$PY" - "$PG_URL" <<'PYCHECK'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgres://", "postgresql://"), connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable at {sys.argv[1]}: {exc}")
    sys.exit(1)
PYCHECK
}

started=$SECONDS
echo "== embedded mode: SQLite + in-memory channel layer ($WORKERS processes)"
run_pytest -q -m "not scaled and not browser" -n "$WORKERS" --dist worksteal --durations=10
echo "   embedded phase: $((SECONDS - started)) s"

# The browser tests (their own process: Playwright needs Django's async-safety check off) and
# the PostgreSQL phase use different databases, so they run side by side.
started=$SECONDS
echo "== browser tests: Playwright driving Chromium against Daphne"
(run_pytest -q -m browser) >"$LOGS/browser" 2>&1 &
browser=$!

postgres=""
if postgres_reachable; then
  echo "== PostgreSQL (+ Redis): database-sensitive tests, and two Daphne workers in scaled mode"
  (DATABASE_URL="$PG_URL" run_pytest -q -m "postgres or scaled") >"$LOGS/postgres" 2>&1 &
  postgres=$!
elif [ -n "${CI:-}" ]; then
  echo "CI needs PostgreSQL" >&2
  wait "$browser" || true
  exit 1
else
  echo "skipping the PostgreSQL phase (no server); CI runs it"
fi

failed=0
wait "$browser" || failed=1
echo "-- browser tests:"; cat "$LOGS/browser"
if [ -n "$postgres" ]; then
  wait "$postgres" || failed=1
  echo "-- PostgreSQL phase:"; cat "$LOGS/postgres"
fi
echo "   browser and PostgreSQL phases: $((SECONDS - started)) s"
exit "$failed"
