#!/usr/bin/env bash
# `npm start`: installs and builds what is missing, provisions the local
# infrastructure when it is not running, then runs the four services in the
# foreground. Ctrl-C stops the services; the infrastructure keeps running.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
infra/local up
exec node services/cli/dist/cli.js up --no-infra "$@"
