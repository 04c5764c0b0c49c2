#!/usr/bin/env bash
# `npm test`: provisions what the tests need (npm packages, the local Kafka,
# Elasticsearch, Redis and Docker engine via infra/local), then runs lint,
# typecheck and unit tests (in parallel across packages), then the integration
# tests one package at a time, since they share the real infrastructure.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
started=$(date +%s)

bash scripts/bootstrap.sh
infra/local up

echo "dockwatch: lint, typecheck, unit tests…" >&2
npx turbo run lint typecheck test --log-order=grouped --output-logs=full
echo "dockwatch: integration tests (one package at a time)…" >&2
npx turbo run test:integration --concurrency=1 --log-order=grouped --output-logs=full
# The secured stack beside the plaintext one (infra/local --secure): Kafka SASL_SSL, Elasticsearch
# https, Redis TLS, each with its users and least privilege (infra/secure/*.sh).
echo "dockwatch: secured stack suite…" >&2
infra/local --secure up
npx turbo run test:secure --concurrency=1 --log-order=grouped --output-logs=full

echo "dockwatch: all tests passed in $(( $(date +%s) - started ))s" >&2
