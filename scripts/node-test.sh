#!/usr/bin/env bash
# Runs node's built-in test runner (through tsx) on the *.test.ts files of one
# folder, one file at a time. A package without tests in that folder says so
# and succeeds, so every package can declare the same scripts.
set -euo pipefail
dir=$1
shift
shopt -s nullglob
files=("$dir"/*.test.ts)
if [ ${#files[@]} -eq 0 ]; then
  echo "no tests in $dir"
  exit 0
fi
# --test-force-exit: a kafkajs consumer that crashed during a deliberate broker
# outage can reconnect after it was disconnected and keep the test process
# alive; the services themselves exit (their SIGTERM exit is tested end to end).
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 --test-force-exit "$@" "${files[@]}"
