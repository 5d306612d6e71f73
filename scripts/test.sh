#!/usr/bin/env bash
# The whole test suite: everything on the embedded defaults (SQLite, in-memory layer), then the
# database-sensitive tests again on PostgreSQL and the scaled-mode tests on PostgreSQL + Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
PG_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}

run_pytest() {
  set +e
  "$PY" -m pytest "$@"
  local status=$?
  set -e
  # 5 = nothing collected: a suite that tests nothing is a failure here.
  if [ "$status" -ne 0 ]; then echo "pytest $* failed with exit code $status" >&2; exit "$status"; fi
}

echo "== embedded mode: SQLite + in-memory channel layer"
run_pytest -q -m "not scaled and not browser"

echo "== browser tests: Playwright driving Chromium against Daphne"
run_pytest -q -m browser

if "$PY" - "$PG_URL" <<'PYCHECK'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgres://", "postgresql://"), connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable at {sys.argv[1]}: {exc}")
    sys.exit(1)
PYCHECK
then
  echo "== PostgreSQL (+ Redis): database-sensitive tests, and two Daphne workers in scaled mode"
  DATABASE_URL="$PG_URL" run_pytest -q -m "postgres or scaled"
else
  if [ -n "${CI:-}" ]; then echo "CI needs PostgreSQL" >&2; exit 1; fi
  echo "skipping the PostgreSQL phase (no server); CI runs it"
fi
