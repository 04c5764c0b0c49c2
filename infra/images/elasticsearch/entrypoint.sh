#!/bin/bash
# As the official image does: every environment variable whose name looks like a setting
# (lowercase, with a dot: cluster.name, xpack.security.enabled) is passed to Elasticsearch
# as -E name=value. Such names are not shell variables, hence reading `env -0`.
set -euo pipefail
# The integ-test zip bundles no JDK: Debian's (its path depends on the architecture).
: "${ES_JAVA_HOME:=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
export ES_JAVA_HOME
if [[ ${1:-} == elasticsearch ]]; then
  shift
  settings=()
  while IFS= read -r -d '' pair; do
    name=${pair%%=*}
    [[ $name =~ ^[a-z0-9_]+\.[a-z0-9_.]+$ ]] && settings+=(-E "$name=${pair#*=}")
  done < <(env -0)
  exec elasticsearch "${settings[@]}" "$@"
fi
exec "$@"
