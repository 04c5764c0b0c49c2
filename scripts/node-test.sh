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
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 "$@" "${files[@]}"
