#!/bin/sh
# run_all.sh - the full experiment sweep (what `make bench` runs).
#
#   ./run_all.sh            default sweep (at most 35 minutes on 2 cores: --dry-run says)
#   ./run_all.sh --quick    every experiment and model, reduced (under 3 minutes)
#   ./run_all.sh --help     experiments, models, levels, repetitions, durations, flags
#
# Results: results/<UTC time>_<name>/ (runs.csv, meta.txt, plots, REPORT.md), results/latest -> it.
# The work is done by harness/runner.py (Python 3, standard library only).
RUN_ALL_ARGV0="$0" exec python3 "$(dirname "$0")/harness/runner.py" "$@"
