#!/usr/bin/env bash
# Every benchmark with the parameters docs/benchmarks.md reports; prints as it goes.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
"$PY" -m bench.action_overhead --cycles 150 --runs 5
"$PY" -m bench.idle_cost --pages 20 --seconds 60
"$PY" -m bench.agents_per_worker --agents 1000 --seconds 10 --rate 10
"$PY" -m bench.agents_per_worker --agents 1000 2000 5000 --seconds 10 --rate 20
"$PY" -m bench.scale_out --agents 16 --seconds 20 --runs 3
"$PY" -m bench.bulk_import --rows 10000
"$PY" -m bench.monitor_languages --changes 150
