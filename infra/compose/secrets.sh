#!/usr/bin/env bash
# The secrets docker-compose.yml mounts (its header says when to run this):
# in DOCKWATCH_SECRETS (default /etc/dockwatch/secrets, 0700) the CA (ca.crt),
# Kafka's certificate and key as one PEM (kafka-broker.pem, for the broker's
# PEM keystore; SANs: kafka, the compose network's name, and
# KAFKA_EXTERNAL_HOST, the name collectors on other hosts use) and the
# collector's SCRAM password (dockwatch-collector.password). Made once: a
# second run keeps what exists, so collectors configured earlier keep working.
#
# Compose mounts file secrets as they are on the host, so the files are
# handed to uid 1000, the user of the dockwatch images (node) and of
# apache/kafka (appuser), mode 0400. Uses infra/secure/certs.sh (the local
# stack's CA functions) and openssl.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SECRETS=${DOCKWATCH_SECRETS:-/etc/dockwatch/secrets}
LOGS=${TMPDIR:-/tmp}
external=${KAFKA_EXTERNAL_HOST:-}
say() { printf '%s\n' "$*" >&2; }
die() { say "secrets.sh: $*"; exit 1; }
rel() { printf '%s' "$1"; }
# shellcheck source=../secure/certs.sh
. "$here/../secure/certs.sh"

sans=("DNS:kafka")
if [[ -n $external ]]; then
  if [[ $external =~ ^[0-9.]+$ ]]; then sans+=("IP:$external"); else sans+=("DNS:$external"); fi
else
  say "secrets.sh: KAFKA_EXTERNAL_HOST is unset: the certificate names only kafka (this host's collector); set it for collectors on other hosts"
fi
secure_cert kafka-broker "${sans[@]}"
secure_password dockwatch-collector >/dev/null
if [[ ! -s $SECRETS/kafka-broker.pem ]]; then
  (umask 077 && cat "$SECRETS/kafka-broker.key" "$SECRETS/kafka-broker.crt" "$SECRETS/ca.crt" >"$SECRETS/kafka-broker.pem")
fi
for f in ca.crt kafka-broker.pem dockwatch-collector.password; do
  chown 1000:1000 "$SECRETS/$f"
  chmod 0400 "$SECRETS/$f"
done
say "secrets.sh: $SECRETS holds ca.crt, kafka-broker.pem and dockwatch-collector.password (uid 1000, 0400)"
