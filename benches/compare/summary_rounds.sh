#!/usr/bin/env bash
# The lifetimes-style summary against lifetimes 0.11.3 in alternating rounds:
# each round times lifetimes (median of 3 calls), then segmint (median of 9),
# right after each other on the same CSV, and prints the ratio of that round.
# On a shared machine the load moves between rounds; report the median and the
# range of the ratios, not one round.
#
#   benches/compare/summary_rounds.sh [ROUNDS] [LIFETIMES_PYTHON] [SEGMINT_PYTHON]
#
# Needs the CSV of ltv_lifetimes_timing.py (/tmp/segmint_ltv_tx.csv) and its
# JSON (/tmp/lifetimes.json, or LIFETIMES_JSON=...), lifetimes in
# LIFETIMES_PYTHON's environment and segmint in SEGMINT_PYTHON's. Relative
# paths are taken from the repository's root.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-7}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive integer, not '$rounds'" >&2; exit 2; }
lifetimes_python=${2:-/tmp/ltvenv/bin/python}
segmint_python=${3:-.venv/bin/python}
json=${LIFETIMES_JSON:-/tmp/lifetimes.json}
# The first line of a script's output is its JSON; the rest is read too, so
# the script never writes to a closed pipe.
field() { python3 -c "import json, sys; print(json.loads(sys.stdin.read().splitlines()[0])[sys.argv[1]])" "$1"; }
for round in $(seq 1 "$rounds"); do
    theirs=$("$lifetimes_python" benches/compare/lifetimes_summary_timing.py --repeats 3 | field lifetimes_median_s)
    ours=$("$segmint_python" benches/compare/summary_vs_lifetimes.py --lifetimes-json "$json" --repeats 9 | field segmint_s)
    load=$(cut -d' ' -f1 /proc/loadavg)
    python3 -c "print(f'round $round  $(date -u +%H:%M)  load $load  lifetimes {$theirs:.3f} s  segmint {$ours * 1e3:.2f} ms  ratio {$theirs / $ours:.1f}x')"
done
