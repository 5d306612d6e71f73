#!/usr/bin/env bash
# Every benchmark with the parameters docs/benchmarks.md reports; prints as it goes.
# PROFILE=1 adds py-spy profiles of the worker under load (needs py-spy and ptrace rights).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
PROFILE_FLAG=${PROFILE:+--profile}
echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" -m bench.action_cost --agents 16 --seconds 15 --cycles 150 --runs 3 $PROFILE_FLAG
"$PY" -m bench.agents_per_worker --agents 1000 --seconds 10 --rate 20 $PROFILE_FLAG
"$PY" -m bench.reconnect_storm --agents 5000 $PROFILE_FLAG
"$PY" -m bench.idle_cost --pages 20 --seconds 60
"$PY" -m bench.scale_out --agents 16 --seconds 20 --runs 3
"$PY" -m bench.bulk_import --rows 10000
"$PY" -m bench.monitor_languages --changes 150
PYTHONPATH=. "$PY" bench/monitor_push.py --changes 150
"$PY" -m bench.action_writes --saves 300 --rounds 5
"$PY" -m bench.contact_render --renders 200 --rounds 3
