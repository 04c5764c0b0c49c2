# infra/images.sh: `infra/local images`, sourced by infra/local (uses say/die/rel, $CACHE, $LOGS,
# kafka_fetch, es_fetch, docker_cli from it).
#
# No image registry is reachable here, so the images the Dockerfile and docker-compose.yml need
# are built from Debian packages: a base image made by debootstrap (minbase) and `docker import`,
# then one image per role built FROM it with this engine (recipes in infra/images/<name>/):
#
#   node           Node.js 20 + npm (Debian trixie)        stands in for node:20-bookworm-slim
#   kafka          OpenJDK 21 + the Kafka jars of infra/local  for apache/kafka
#   elasticsearch  OpenJDK 21 + the integ-test zip of infra/local  for elasticsearch
#   redis          redis-server (Debian trixie)             for redis
#
# Each tag ends in a hash of its inputs (recipe files, base tag, versions): an image whose tag
# exists is not built again, and a changed recipe gets a new tag. The command prints the
# variables the Dockerfile and compose file read, for `eval "$(infra/local images)"`.

IMAGES_SUITE=${DEBIAN_SUITE:-trixie}
IMAGES_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Extra `docker build` flags, e.g. "--network host" where containers cannot reach the mirrors.
IMAGES_BUILD_FLAGS=${IMAGES_BUILD_FLAGS:-}

# images_hash STRING...: 12 hex digits of sha256 over the strings and the contents of any that
# are paths (files, or every file under a directory, in name order).
images_hash() {
  local a
  for a in "$@"; do
    printf '%s\n' "$a"
    if [[ -d $a ]]; then
      (cd "$a" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    elif [[ -f $a ]]; then
      sha256sum <"$a"
    fi
  done | sha256sum | cut -c1-12
}

images_exists() { docker_cli image inspect "$1" >/dev/null 2>&1; }

# The base: debootstrap's minbase, without apt's lists and caches, with dpkg told to skip docs,
# man pages and translations in every image built on it.
images_base() {
  local tag rootfs t0 log=$LOGS/images.log
  tag=dockwatch/debian:$IMAGES_SUITE-$(images_hash "$IMAGES_SUITE" "$IMAGES_MIRROR" minbase v1)
  if images_exists "$tag"; then say "images: $tag (cached)"; printf '%s' "$tag"; return; fi
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  t0=$(date +%s)
  say "images: $tag: debootstrap --variant=minbase $IMAGES_SUITE…"
  rootfs=$(mktemp -d "$CACHE/.rootfs.XXXXXX")
  debootstrap --variant=minbase "$IMAGES_SUITE" "$rootfs" "$IMAGES_MIRROR" >>"$log" 2>&1 || {
    rm -rf "$rootfs"
    die "debootstrap $IMAGES_SUITE failed; see $(rel "$log")"
  }
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/dockwatch-nodoc" <<'EOF'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/info/*
EOF
  tar --numeric-owner -C "$rootfs" -cf - . |
    docker_cli import --change 'CMD ["bash"]' - "$tag" >>"$log" 2>&1 || {
    rm -rf "$rootfs"
    die "docker import of $tag failed; see $(rel "$log")"
  }
  rm -rf "$rootfs"
  say "images: $tag built in $(($(date +%s) - t0))s"
  printf '%s' "$tag"
}

# images_build TAG CONTEXT BASE: docker build of CONTEXT FROM BASE as TAG, unless it exists.
images_build() {
  local tag=$1 ctx=$2 base=$3 t0 log=$LOGS/images.log flags=()
  if images_exists "$tag"; then say "images: $tag (cached)"; return; fi
  read -ra flags <<<"$IMAGES_BUILD_FLAGS"
  t0=$(date +%s)
  say "images: building $tag…"
  docker_cli build "${flags[@]}" --build-arg "BASE=$base" -t "$tag" "$ctx" >>"$log" 2>&1 ||
    die "building $tag failed; see $(rel "$log")"
  say "images: $tag built in $(($(date +%s) - t0))s"
}

# images_context NAME: a fresh build context, infra/images/NAME plus what the caller copies in.
images_context() {
  local ctx
  ctx=$(mktemp -d "$CACHE/.context-$1.XXXXXX")
  cp -R "$INFRA/images/$1/." "$ctx/"
  printf '%s' "$ctx"
}

cmd_images() {
  mkdir -p "$LOGS" "$CACHE"
  docker_healthy || die "the Docker engine is not running (infra/local start docker)"
  # One build at a time (several clones share this engine); not infra/local's own lock, so
  # the minutes a build takes never hold up `infra/local up` elsewhere.
  exec 8>"${TMPDIR:-/tmp}/dockwatch-images.lock"
  flock -w 1800 8 || die "another infra/local images is still running"
  ensure_packages
  kafka_fetch
  es_fetch

  local base node kafka es redis ctx
  base=$(images_base)

  # The host's own additions to its trust store go into the Node image (see its Dockerfile).
  local cas=/usr/local/share/ca-certificates
  node=dockwatch/node:20-$(images_hash "$base" "$INFRA/images/node" "$cas")
  if ! images_exists "$node"; then
    ctx=$(images_context node)
    mkdir -p "$ctx/ca"
    find "$cas" -maxdepth 1 -name '*.crt' -exec cp {} "$ctx/ca/" \; 2>/dev/null || true
    images_build "$node" "$ctx" "$base"
    rm -rf "$ctx"
  else
    say "images: $node (cached)"
  fi

  redis=dockwatch/redis:$IMAGES_SUITE-$(images_hash "$base" "$INFRA/images/redis")
  images_build "$redis" "$INFRA/images/redis" "$base"

  kafka=dockwatch/kafka:$KAFKA_VERSION-$(images_hash "$base" "$KAFKA_VERSION" "$INFRA/images/kafka" \
    "$INFRA/kafka/log4j2.properties" "$INFRA/kafka/log4j2-tools.properties")
  if ! images_exists "$kafka"; then
    ctx=$(images_context kafka)
    cp "$INFRA/kafka/log4j2.properties" "$INFRA/kafka/log4j2-tools.properties" "$ctx/"
    cp -R "$KAFKA_HOME/libs" "$ctx/libs"
    images_build "$kafka" "$ctx" "$base"
    rm -rf "$ctx"
  else
    say "images: $kafka (cached)"
  fi

  es=dockwatch/elasticsearch:$ES_VERSION-$(images_hash "$base" "$ES_VERSION" "$INFRA/images/elasticsearch")
  if ! images_exists "$es"; then
    ctx=$(images_context elasticsearch)
    cp -R "$ES_HOME" "$ctx/elasticsearch"
    rm -f "$ctx/elasticsearch/.complete"
    images_build "$es" "$ctx" "$base"
    rm -rf "$ctx"
  else
    say "images: $es (cached)"
  fi

  printf 'export NODE_IMAGE=%s KAFKA_IMAGE=%s ELASTICSEARCH_IMAGE=%s REDIS_IMAGE=%s\n' \
    "$node" "$kafka" "$es" "$redis"
}
