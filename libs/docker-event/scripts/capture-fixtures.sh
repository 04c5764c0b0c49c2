#!/usr/bin/env bash
# Captures REAL engine events for every event type this engine can emit into
# fixtures/engine-20.10/<type>.jsonl, each line exactly as
# `docker events --format '{{json .}}'` printed it. Run against the local
# dockerd (infra/local up); it briefly joins a one-node swarm (secret, config,
# service and node events) and leaves it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
out=fixtures/engine-20.10
img=$(cat ../../infra/.local/busybox-image)
p=dwfx$$ # every name carries this prefix, so other engines' users' events are left out
mkdir -p "$out"
work=$(mktemp -d)
swarm_started=0
cleanup() {
  docker rm -f "$p-c" "$p-c2" "$p-renamed" >/dev/null 2>&1 || true
  docker volume rm -f "$p-vol" >/dev/null 2>&1 || true
  docker network rm "$p-net" >/dev/null 2>&1 || true
  docker rmi -f "$p/img:tagged" "$p/imported:1" "$p/committed:1" >/dev/null 2>&1 || true
  if [ "$swarm_started" = 1 ]; then docker swarm leave --force >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

since=$(date +%s.%N)

# container: create start pause unpause exec_* attach rename update commit export copy kill die stop destroy
docker create --name "$p-c" --label com.example.team=blue "$img" sleep 300 >/dev/null
docker start "$p-c" >/dev/null
docker pause "$p-c" >/dev/null
docker unpause "$p-c" >/dev/null
docker exec "$p-c" sh -c 'ls / >/dev/null'
docker exec "$p-c" sh -c 'echo PASSWORD=hunter2 >/dev/null' # a secret on an exec command line, as users type them
docker rename "$p-c" "$p-renamed"
docker update --cpu-shares 512 "$p-renamed" >/dev/null
docker commit "$p-renamed" "$p/committed:1" >/dev/null
docker export "$p-renamed" -o "$work/export.tar"
echo hello >"$work/hello.txt"
docker cp "$work/hello.txt" "$p-renamed:/tmp/hello.txt"
docker cp "$p-renamed:/tmp/hello.txt" "$work/back.txt"
docker kill --signal SIGKILL "$p-renamed" >/dev/null
docker rm "$p-renamed" >/dev/null
docker run --name "$p-c2" "$img" true >/dev/null # attach, start, die
docker run -d --name "$p-c" "$img" sleep 300 >/dev/null
docker stop -t 1 "$p-c" >/dev/null # kill (SIGTERM), die, stop
docker rm "$p-c" "$p-c2" >/dev/null

# image: tag untag save load import delete
docker tag "$img" "$p/img:tagged"
docker save -o "$work/img.tar" "$p/img:tagged"
docker load -i "$work/img.tar" >/dev/null
docker export "$(docker create "$img" true)" -o "$work/rootfs.tar" # create/destroy of a helper container are not kept
docker import "$work/rootfs.tar" "$p/imported:1" >/dev/null
docker rmi "$p/img:tagged" "$p/imported:1" "$p/committed:1" >/dev/null

# volume and network: create mount unmount destroy / create connect disconnect destroy
docker volume create "$p-vol" >/dev/null
docker network create "$p-net" >/dev/null
docker run --rm --name "$p-c" -v "$p-vol:/data" --network "$p-net" "$img" true
docker run -d --name "$p-c" "$img" sleep 300 >/dev/null
docker network connect "$p-net" "$p-c"
docker network disconnect "$p-net" "$p-c"
docker rm -f "$p-c" >/dev/null
docker volume rm "$p-vol" >/dev/null
docker network rm "$p-net" >/dev/null

# swarm: node, secret, config, service (a one-node swarm, left at the end)
if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" = inactive ]; then
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
  swarm_started=1
  docker node update --label-add "$p=1" "$(docker info --format "{{.Swarm.NodeID}}")" >/dev/null
  echo s3cr3t | docker secret create "$p-secret" - >/dev/null
  echo 'a: 1' | docker config create "$p-config" - >/dev/null
  docker service create --detach --quiet --name "$p-svc" "$img" sleep 300 >/dev/null 2>&1
  docker service update --detach --quiet --replicas 2 "$p-svc" >/dev/null 2>&1
  docker service rm "$p-svc" >/dev/null
  docker secret rm "$p-secret" >/dev/null
  docker config rm "$p-config" >/dev/null
  sleep 1
fi
until=$(date +%s.%N)

all="$work/all.jsonl"
docker events --since "$since" --until "$until" --format '{{json .}}' >"$all"
# Ours: carrying the prefix, or the images we imported/loaded (their events name only the digest).
ids=$(grep -F "$p" "$all" | grep -o '"ID":"sha256:[0-9a-f]*"' | sort -u | sed 's/"ID":"//;s/"$//' || true)
for type in container image volume network node secret config service; do
  if [ "$type" = node ]; then
    # The node is the swarm this script made; its events name the host, not our prefix.
    grep -F '"Type":"node"' "$all" >"$out/node.jsonl" || true
  else
    grep -F "\"Type\":\"$type\"" "$all" | { grep -F -e "$p" $(for i in $ids; do printf -- '-e %s ' "$i"; done) || true; } >"$out/$type.jsonl"
  fi
  echo "$type: $(wc -l <"$out/$type.jsonl") events"
done
python3 scripts/expected-full-log.py >/dev/null # the expected full_log of every fixture, by Python's json
