#!/usr/bin/env bash
# Instructions per "my day" request (see callgrind_my_day.py). Needs valgrind and the same
# DATABASE_URL / REDIS_URL / REDIS_PREFIX as the followups_my_day benchmark, e.g.
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/frontline_fu REDIS_URL=redis://127.0.0.1:6379/6 \
#   REDIS_PREFIX=fubench tests/bench/callgrind_my_day.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export N="${N:-20}"
export CALLGRIND_GO
CALLGRIND_GO="$(mktemp -u)"
out="$(mktemp)"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/dev/null \
  .venv/bin/python -m tests.bench.callgrind_my_day >"$out" 2>&1 &
until grep -q READY "$out"; do
  kill -0 $! 2>/dev/null || { cat "$out"; exit 1; }
  sleep 0.5
done
callgrind_control --instr=on "$(awk '/READY/ {print $2}' "$out")" >/dev/null 2>&1
touch "$CALLGRIND_GO"
wait $!
total="$(awk '/Collected/ {print $4}' "$out")"
echo "$((total / N)) instructions per request ($N requests)"
rm -f "$out"
