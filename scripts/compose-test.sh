#!/usr/bin/env bash
# `npm run test:compose`: docker-compose.yml and the Dockerfile, run for real on this machine's
# engine with the compose tool Debian ships (docker-compose 1.29; COMPOSE=... for another):
#
#   1. the local images (`infra/local images`, from Debian packages) unless
#      DOCKWATCH_OFFICIAL_IMAGES=1, then the four service images built from the Dockerfile;
#   2. the secrets (infra/compose/secrets.sh), then the stack up (everything but Kibana) on free
#      host ports, under its own project name; Kafka publishes only its SASL_SSL listener, which
#      takes the collector's password and refuses a wrong one;
#   3. a `docker run` of the busybox image on the host engine becomes an alert in the
#      containerized Elasticsearch;
#   4. decoder, rules and sink scaled to 2 replicas each while containers keep starting:
#      every container started before, during and after the rescale has exactly one
#      "container started" alert (rule 87903), and each group has 2 members;
#   5. each service image runs with a read-only root filesystem as a non-root user (a second
#      collector so started, under another agent name, carries a container to its alert);
#   6. the fleet recipe (COMPOSE_TEST_FLEET=0 skips it): a second Docker engine on this
#      machine (own socket, data root, exec root, pid file, bridge, address pool, no iptables
#      rules) stands for another host and runs only the collector, as the README says, pointed
#      at the central Kafka's EXTERNAL listener on this host's address; its containers' alerts
#      carry its own agent; with the central Kafka stopped meanwhile, none is lost;
#   7. `down -v` leaves no container, volume or network of the project (on both engines).
#
# The README's "Deploying for a fleet" shows these same compose commands. Figures (build, start
# and rescale times, image sizes) are printed as "compose-test: ..." lines on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

COMPOSE=${COMPOSE:-docker-compose}
BATCH=${COMPOSE_TEST_BATCH:-10} # containers started in each of the three phases
say() { printf 'compose-test: %s\n' "$*" >&2; }
fail() {
  say "FAILED: $*"
  exit 1
}
since() { echo $(($(date +%s) - $1)); }

# A free port on loopback, above the ranges infra/local and the secured stack use.
free_port() {
  local p
  while :; do
    p=$((40000 + RANDOM % 20000))
    timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null || { echo "$p"; return; }
  done
}

infra/local start docker
BUSYBOX=$(infra/local image)
if [[ ${DOCKWATCH_OFFICIAL_IMAGES:-0} != 1 ]]; then
  t0=$(date +%s)
  eval "$(infra/local images)"
  say "local base images ready in $(since "$t0")s"
fi

# ---- the commands of the README (project name and host ports made unique here) ----
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-dwtest$$}
DOCKER_GID=$(stat -c %g /var/run/docker.sock)
export DOCKER_GID
export ES_PORT=${ES_PORT:-$(free_port)} KAFKA_EXTERNAL_PORT=${KAFKA_EXTERNAL_PORT:-$(free_port)}
export AGENT_ID=001 AGENT_NAME=central
# This machine's engine cannot grant Elasticsearch the limits the compose file asks for by
# default (unlimited memlock, 65536 open files): ask for what it has (see docker-compose.yml).
if [[ $(ulimit -Hl) != unlimited ]]; then
  export ES_MEMORY_LOCK=false ES_MEMLOCK=$(($(ulimit -Hl) * 1024))
fi
if (($(ulimit -Hn) < 65536)); then ES_NOFILE=$(ulimit -Hn) && export ES_NOFILE; fi
FLEET=${COMPOSE_TEST_FLEET:-1}
if ((FLEET)); then
  # Collectors elsewhere reach the central Kafka at this host's own address.
  HOST_IP=$(ip -4 route get 1.1.1.1 | sed -n 's/.* src \([0-9.]*\).*/\1/p')
  [[ -n $HOST_IP ]] || fail "no address of this host found for the fleet phase"
  export KAFKA_EXTERNAL_HOST=$HOST_IP KAFKA_EXTERNAL_BIND=$HOST_IP
fi
P=$COMPOSE_PROJECT_NAME
# The secrets of the README's central host (CA, broker certificate naming kafka and
# KAFKA_EXTERNAL_HOST, the collector's password; uid 1000, 0400), made fresh for this run.
export DOCKWATCH_SECRETS=${TMPDIR:-/tmp}/$P-secrets
infra/compose/secrets.sh
ES=http://127.0.0.1:$ES_PORT
SERVICES=(collector decoder rules sink)
extra=() # containers this script starts itself (probes, read-only checks)
FLEET_DIR=${TMPDIR:-/tmp}/$P-host2
HOST2=unix://$FLEET_DIR/docker.sock

cleanup() {
  local rc=$?
  if ((rc != 0)); then
    $COMPOSE ps >&2 || true
    $COMPOSE logs --tail=40 >&2 || true
    for c in "${extra[@]}"; do docker logs --tail=20 "$c" >&2 2>&1 || true; done
  fi
  ((${#extra[@]})) && docker rm -f "${extra[@]}" >/dev/null 2>&1
  $COMPOSE down -v --remove-orphans >/dev/null 2>&1 || true
  fleet_stop
  rm -rf "$DOCKWATCH_SECRETS"
  exit $rc
}
# The second "host": its own dockerd (and the containerd it starts), nothing shared with the
# first engine but the kernel; no iptables rules of its own (they would rewrite the first
# engine's chains). Its default bridge is one made here: never --bridge=none, with which
# dockerd deletes a "docker0" it finds, the first engine's bridge. Compose's network there
# takes addresses from a pool of its own.
FLEET_BRIDGE=dwh2-$$
fleet_start() {
  mkdir -p "$FLEET_DIR"
  ip link add "$FLEET_BRIDGE" type bridge
  ip addr add 10.213.255.1/24 dev "$FLEET_BRIDGE"
  ip link set "$FLEET_BRIDGE" up
  setsid dockerd --host "$HOST2" --data-root "$FLEET_DIR/data" --exec-root "$FLEET_DIR/exec" \
    --pidfile "$FLEET_DIR/dockerd.pid" --bridge="$FLEET_BRIDGE" --iptables=false --ip-masq=false \
    --default-address-pool base=10.213.0.0/17,size=24 </dev/null >"$FLEET_DIR/dockerd.log" 2>&1 &
  echo $! >"$FLEET_DIR/started.pid"
  local i
  for i in {1..60}; do docker -H "$HOST2" info >/dev/null 2>&1 && return 0; sleep 1; done
  tail -20 "$FLEET_DIR/dockerd.log" >&2
  fail "the second dockerd did not start"
}
fleet_stop() {
  [[ -s $FLEET_DIR/started.pid ]] || return 0
  DOCKER_HOST=$HOST2 COMPOSE_PROJECT_NAME=$P-host2 $COMPOSE down -v --remove-orphans >/dev/null 2>&1 || true
  local pid
  pid=$(<"$FLEET_DIR/started.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in {1..60}; do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  rm -f "$FLEET_DIR/started.pid"
  umount -R "$FLEET_DIR/exec" "$FLEET_DIR/data" 2>/dev/null || true
  rm -rf "$FLEET_DIR"
  ip link del "$FLEET_BRIDGE" 2>/dev/null || true
}
trap cleanup EXIT

t0=$(date +%s)
$COMPOSE build "${SERVICES[@]}" >&2
say "service images built in $(since "$t0")s"
for s in "${SERVICES[@]}"; do
  say "image dockwatch/$s:${DOCKWATCH_TAG:-0.1.0}: $(docker image inspect -f '{{.Size}}' "dockwatch/$s:${DOCKWATCH_TAG:-0.1.0}" | awk '{printf "%.0f MB", $1/1e6}')"
done

# wait_healthy SECONDS: until every running container of the project is healthy (kafka-init
# has exited 0 by then: the services start only after it).
wait_healthy() {
  local limit=$1 t ids states
  t=$(date +%s)
  while :; do
    ids=$($COMPOSE ps -q)
    # shellcheck disable=SC2086 # one id per word
    states=$(docker inspect -f '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.ExitCode}}{{end}}' $ids)
    ! grep -vE ' running healthy$| exited 0$' <<<"$states" >/dev/null && return 0
    grep -E ' exited [1-9]' <<<"$states" && fail "a container exited"
    (($(date +%s) - t > limit)) && fail "not healthy within ${limit}s: $(grep -vE ' running healthy$| exited 0$' <<<"$states" | tr '\n' ' ')"
    sleep 2
  done
}

t0=$(date +%s)
$COMPOSE up -d "${SERVICES[@]}"
wait_healthy 300
say "stack started (all healthy) in $(since "$t0")s"

# ---- Kafka's published side: one port, the SASL_SSL listener, the collector's credential only ----
kafka=$($COMPOSE ps -q kafka)
net=$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "$kafka")
published=$(docker port "$kafka")
[[ $(wc -l <<<"$published") == 1 && $published == "$KAFKA_EXTERNAL_PORT/tcp -> "* ]] ||
  fail "kafka publishes more than its EXTERNAL listener: $published"
kafka_login() { # PASSWORD-FILE: kafka-broker-api-versions as dockwatch-collector at the collectors' address
  docker run --rm --network "$net" -e KAFKA_HEAP_OPTS=-Xmx128m -e BROKER="${KAFKA_EXTERNAL_HOST:-kafka}:$KAFKA_EXTERNAL_PORT" \
    -v "$DOCKWATCH_SECRETS/ca.crt:/run/secrets/ca:ro" -v "$1:/run/secrets/password:ro" \
    --entrypoint bash "${KAFKA_IMAGE:-apache/kafka:4.4.0}" -c '
      set -eu
      printf "%s\n" "security.protocol=SASL_SSL" "sasl.mechanism=SCRAM-SHA-512" \
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"dockwatch-collector\" password=\"$(cat /run/secrets/password)\";" \
        "ssl.truststore.type=PEM" "ssl.truststore.location=/run/secrets/ca" >/tmp/client.properties
      exec /opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server "$BROKER" --command-config /tmp/client.properties' 2>&1
}
out=$(kafka_login "$DOCKWATCH_SECRETS/dockwatch-collector.password") || fail "the collector's credential is refused on the EXTERNAL listener: $(tail -3 <<<"$out")"
wrong=$DOCKWATCH_SECRETS/wrong.password
(umask 077 && echo "not-$(cat "$DOCKWATCH_SECRETS/dockwatch-collector.password")" >"$wrong") && chown 1000:1000 "$wrong"
if out=$(kafka_login "$wrong"); then fail "the EXTERNAL listener accepted a wrong password"; fi
[[ $out == *SaslAuthenticationException* ]] || fail "a wrong password failed, but not on authentication: $(tail -3 <<<"$out")"
rm -f "$wrong"
say "kafka publishes only its SASL_SSL listener (TLS verified against ca.crt); the collector's password logs in, a wrong one is refused"

# ---- an engine event on the host becomes an alert in the containerized Elasticsearch ----
es_count() { # QUERY-JSON: number of alerts matching
  curl -fsS "$ES/dockwatch-alerts-*/_count" -H 'content-type: application/json' -d "$1" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).count))'
}
started_query() { # CONTAINER-ID... [-- AGENT]: 87903 alerts of those containers
  local ids agent=central
  ids=$(printf '"%s",' "$@")
  printf '{"query":{"bool":{"filter":[{"term":{"rule.id":"87903"}},{"term":{"agent.name":"%s"}},{"terms":{"data.docker.Actor.ID":[%s]}}]}}}' \
    "${AGENT:-$agent}" "${ids%,}"
}
wait_alerts() { # EXPECTED CONTAINER-ID...: until that many alerts, at most 180s
  local want=$1 t n=0
  t=$(date +%s)
  shift
  while (($(date +%s) - t < 180)); do
    n=$(es_count "$(started_query "$@")" 2>/dev/null || echo 0)
    ((n >= want)) && { echo "$n"; return 0; }
    sleep 2
  done
  echo "$n"
}

probe=$P-probe
extra+=("$probe")
t0=$(date +%s)
id=$(docker run -d --name "$probe" "$BUSYBOX" sleep 300)
n=$(wait_alerts 1 "$id")
[[ $n == 1 ]] || fail "docker run $probe: $n alerts for it in Elasticsearch, want 1"
say "docker run -> alert in Elasticsearch in $(since "$t0")s"
docker rm -f "$probe" >/dev/null

# ---- rescale while containers keep starting: one alert per container, no more, no less ----
ids=()
feed() { # N: start N short-lived containers, recording their ids
  local i
  for ((i = 0; i < $1; i++)); do ids+=("$(docker run -d --rm "$BUSYBOX" true)"); done
}
feed "$BATCH" # before
t0=$(date +%s)
$COMPOSE up -d --scale decoder=2 --scale rules=2 --scale sink=2 "${SERVICES[@]}" &
scaling=$!
feed "$BATCH" # during
while kill -0 "$scaling" 2>/dev/null; do feed 1; done
wait "$scaling" || fail "compose up --scale failed"
wait_healthy 300
say "rescaled to 2 replicas each (healthy) in $(since "$t0")s"
feed "$BATCH" # after
for s in decoder rules sink; do
  n=$($COMPOSE ps -q "$s" | wc -l)
  ((n == 2)) || fail "$s has $n containers, want 2"
done

want=${#ids[@]}
n=$(wait_alerts "$want" "${ids[@]}")
sleep 10 # anything late (a redelivery under a new id) would show up now
n=$(es_count "$(started_query "${ids[@]}")")
[[ $n == "$want" ]] || fail "$n container-started alerts for $want containers"
# One per container: as many distinct containers among the alerts as alerts.
distinct=$(curl -fsS "$ES/dockwatch-alerts-*/_search" -H 'content-type: application/json' \
  -d "$(started_query "${ids[@]}" | sed 's/}$/,"size":0,"aggs":{"c":{"cardinality":{"field":"data.docker.Actor.ID","precision_threshold":1000}}}}/')" |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).aggregations.c.value))')
[[ $distinct == "$want" ]] || fail "$distinct distinct containers among $n alerts, want $want"
say "exact across the rescale: $n alerts for $want containers, one each"
for g in decoder rules sink; do
  members=$($COMPOSE exec -T kafka kafka-consumer-groups.sh --bootstrap-server kafka:9092 \
    --describe --group "dockwatch-$g" --members 2>/dev/null | grep -c "^dockwatch-$g " || true)
  ((members == 2)) || fail "consumer group dockwatch-$g has $members members, want 2"
done
say "each consumer group has 2 members"

# ---- read-only root filesystem, non-root user ----
ro_env=(-e KAFKA_BROKERS=kafka:9092 -e KAFKA_REPLICATION_FACTOR=1 -e KAFKA_MIN_INSYNC_REPLICAS=1)
for s in "${SERVICES[@]}"; do
  c=$P-ro-$s
  extra+=("$c")
  case $s in
    collector) args=(--group-add "$DOCKER_GID" -v /var/run/docker.sock:/var/run/docker.sock:ro
      --tmpfs /var/lib/dockwatch:uid=1000 -e AGENT_ID=099 -e AGENT_NAME=readonly) ;;
    rules) args=(-e REDIS_URL=redis://redis:6379) ;;
    sink) args=(-e ELASTICSEARCH_URL=http://elasticsearch:9200) ;;
    *) args=() ;;
  esac
  docker run -d --read-only --name "$c" --network "$net" "${ro_env[@]}" "${args[@]}" \
    "dockwatch/$s:${DOCKWATCH_TAG:-0.1.0}" >/dev/null
done
t=$(date +%s)
for s in "${SERVICES[@]}"; do
  c=$P-ro-$s
  until [[ $(docker inspect -f '{{.State.Health.Status}}' "$c") == healthy ]]; do
    [[ $(docker inspect -f '{{.State.Running}}' "$c") == true ]] || fail "$c (read-only) exited"
    (($(date +%s) - t > 180)) && fail "$c (read-only) not healthy within 180s"
    sleep 2
  done
  [[ $(docker exec "$c" id -u) != 0 ]] || fail "$c runs as root"
  touch_out=$(docker exec "$c" sh -c 'touch /app/x 2>&1 || true')
  [[ $touch_out == *"Read-only file system"* ]] || fail "$c: root filesystem is writable ($touch_out)"
done
id=$(docker run -d --rm "$BUSYBOX" true)
n=$(AGENT="readonly" wait_alerts 1 "$id")
[[ $n == 1 ]] || fail "the read-only collector's alert: $n, want 1"
say "the four images run read-only as uid $(docker exec "$P-ro-decoder" id -u); the read-only collector's event arrived"
docker rm -f "${extra[@]}" >/dev/null
extra=()

# ---- the fleet recipe: a collector on another engine, through an outage of the central Kafka ----
if ((FLEET)); then
  t0=$(date +%s)
  fleet_start
  # The collector image (and the test's busybox) reach the other host as from a registry.
  docker save "dockwatch/collector:${DOCKWATCH_TAG:-0.1.0}" "$BUSYBOX" | docker -H "$HOST2" load >/dev/null
  say "second engine up, images loaded in $(since "$t0")s"
  (
    # On the other host, as the README's fleet commands:
    export DOCKER_HOST=$HOST2 COMPOSE_PROJECT_NAME=$P-host2 DOCKER_SOCKET=$FLEET_DIR/docker.sock
    DOCKER_GID=$(stat -c %g "$FLEET_DIR/docker.sock")
    export DOCKER_GID
    # The central host's CA and collector password, copied as they are (uid 1000, 0400).
    central=$DOCKWATCH_SECRETS
    export DOCKWATCH_SECRETS=$FLEET_DIR/secrets
    mkdir -m 700 "$DOCKWATCH_SECRETS"
    cp -p "$central/ca.crt" "$central/dockwatch-collector.password" "$DOCKWATCH_SECRETS/"
    # The central Kafka's EXTERNAL listener, as on the central host.
    export KAFKA_EXTERNAL_HOST KAFKA_EXTERNAL_PORT
    export AGENT_ID=002 AGENT_NAME=host2 AGENT_IP=$HOST_IP
    $COMPOSE up -d --no-deps collector
  )
  c2=$(DOCKER_HOST=$HOST2 COMPOSE_PROJECT_NAME=$P-host2 $COMPOSE ps -q collector)
  t=$(date +%s)
  until [[ $(docker -H "$HOST2" inspect -f '{{.State.Health.Status}}' "$c2") == healthy ]]; do
    (($(date +%s) - t > 180)) && { docker -H "$HOST2" logs --tail=30 "$c2" >&2; fail "host2's collector not healthy within 180s"; }
    sleep 2
  done
  ids2=()
  feed2() { local i; for ((i = 0; i < $1; i++)); do ids2+=("$(docker -H "$HOST2" run -d --rm "$BUSYBOX" true)"); done; }
  feed2 3
  n=$(AGENT=host2 wait_alerts 3 "${ids2[@]}")
  [[ $n == 3 ]] || fail "host2: $n alerts for 3 containers before the outage"
  say "host2's containers arrive as agent host2"
  $COMPOSE stop kafka
  t0=$(date +%s)
  feed2 "$BATCH" # while the central Kafka is down: the collector spools
  sleep 20
  $COMPOSE start kafka
  want=${#ids2[@]}
  n=$(AGENT=host2 wait_alerts "$want" "${ids2[@]}")
  [[ $n == "$want" ]] || fail "host2: $n alerts for $want containers after the outage"
  say "central Kafka stopped for $(since "$t0")s (restart included): all $want of host2's containers arrived"
  DOCKER_HOST=$HOST2 COMPOSE_PROJECT_NAME=$P-host2 $COMPOSE down -v --remove-orphans
  left=$(docker -H "$HOST2" ps -aq; docker -H "$HOST2" volume ls -q --filter "label=com.docker.compose.project=$P-host2")
  [[ -z $left ]] || fail "left behind on host2 by down -v: $left"
  fleet_stop
fi

# ---- down -v leaves nothing behind ----
t0=$(date +%s)
$COMPOSE down -v --remove-orphans
label=com.docker.compose.project=$P
left="$(docker ps -aq --filter "label=$label")$(docker volume ls -q --filter "label=$label")$(docker network ls -q --filter "label=$label")"
[[ -z $left ]] || fail "left behind by down -v: $left"
say "down -v in $(since "$t0")s: no container, volume or network of $P left"
say "passed"
