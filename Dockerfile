# One image recipe for the four dockwatch services; the build arg SERVICE picks
# which one (collector | decoder | rules | sink):
#
#   docker build --build-arg SERVICE=decoder -t dockwatch/decoder:0.1.0 .
#
# docker-compose.yml builds all four this way. Stages:
#   manifests  the root package.json + lockfile and every workspace package.json,
#              so `npm ci` stays cached until a dependency changes
#   build      full install (dev deps: typescript, turbo), then `turbo run build`
#              of the four services and the workspace libs they depend on (shared
#              by the four builds); collects $SERVICE's package.json + dist/
#   addons     the native addons (re2, better-sqlite3) compiled once
#   prod-deps  `npm ci --omit=dev --workspace=@dockwatch/$SERVICE`: only the
#              runtime dependencies of that one service, with the compiled addons
#   runtime    NODE_IMAGE + prod deps + compiled code, as the non-root user
#              `node`; one final stage per service (svc-*) sets its CMD and
#              default HEALTH_PORT, and the last line selects it
#
# The collector also runs as `node`; it reads the Docker socket through the
# socket's group, which compose grants with `group_add` (see docker-compose.yml).
#
# Plain Dockerfile syntax (no RUN --mount, no syntax directive), so it builds
# with BuildKit and with the classic builder alike (Debian's docker.io 20.10 and
# docker-compose 1.29 use the classic one unless DOCKER_BUILDKIT=1).
#
# Install scripts are skipped (--ignore-scripts), matching the root
# package.json's allowScripts: ssh2/cpu-features fall back to JS and esbuild is
# not used in the image. The two native addons a service needs at run time
# (re2 for the rules, better-sqlite3 for the collector's spool) are rebuilt
# explicitly in the addons stage, against the image's own Node headers.

# Declared before the first FROM so `FROM svc-${SERVICE}` can use it.
ARG SERVICE
# Any Debian-based Node 20 image with npm and a user `node`: the official one by default, or
# the one `infra/local images` builds from Debian packages where no registry is reachable
# (--build-arg NODE_IMAGE=dockwatch/node:20-<hash>; compose passes $NODE_IMAGE).
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- manifests ---------------------------------------------------------------
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
# Any workspace (schemas, libs/*, services/*) is picked up without editing this file.
RUN mkdir /manifests \
 && cp package.json package-lock.json /manifests/ \
 && find schemas libs services -maxdepth 2 -name package.json -exec cp --parents {} /manifests/ \;

# ---- build -------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
ENV TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 CI=true
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
# All four services at once (and the libs they use): nothing above depends on SERVICE, so
# compose's four builds share these layers and compile once.
RUN npx turbo run build --filter=@dockwatch/collector... --filter=@dockwatch/decoder... \
      --filter=@dockwatch/rules... --filter=@dockwatch/sink...
# SERVICE only from here on: an ARG is part of the cache key of every RUN after it.
ARG SERVICE
RUN case "${SERVICE}" in \
      collector|decoder|rules|sink) ;; \
      *) echo "build arg SERVICE must be collector, decoder, rules or sink (got '${SERVICE}')" >&2; exit 1 ;; \
    esac
# The runtime tree: every workspace's package.json (the node_modules/@dockwatch/*
# links resolve through them), the dist/ of what was built, the Avro schemas
# (read at run time by @dockwatch/codec). No sources, no tests.
RUN mkdir /out \
 && for dir in schemas libs/* services/${SERVICE}; do \
      mkdir -p "/out/${dir}" && cp "${dir}/package.json" "/out/${dir}/" \
      && if [ -d "${dir}/dist" ]; then cp -R "${dir}/dist" "/out/${dir}/"; fi; \
    done \
 && cp schemas/*.avsc /out/schemas/ \
 && for dir in libs/* services/${SERVICE}; do \
      for data in ruleset ruleset.schema.json; do \
        if [ -e "${dir}/${data}" ]; then cp -R "${dir}/${data}" "/out/${dir}/"; fi; \
      done; \
    done \
 && test -f "/out/services/${SERVICE}/dist/main.js"

# ---- addons ------------------------------------------------------------------
# The native addons (re2 for the rules, better-sqlite3 for the collector's spool), compiled
# once for all four services: same lockfile, same versions. They build against the headers of
# the image's own node, under its prefix: /usr/local in the official image (headers
# included), /usr in a Debian one (headers from libnode-dev, installed only when missing).
FROM ${NODE_IMAGE} AS addons
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN nodedir=$(node -p 'require("path").resolve(process.execPath, "../..")') \
 && pkgs="python3 make g++" \
 && if [ ! -f "${nodedir}/include/node/node.h" ]; then pkgs="${pkgs} libnode-dev"; fi \
 && apt-get update \
 && apt-get install -y --no-install-recommends ${pkgs} \
 && rm -rf /var/lib/apt/lists/*
RUN nodedir=$(node -p 'require("path").resolve(process.execPath, "../..")') \
 && npm ci --omit=dev --no-audit --no-fund --ignore-scripts --workspace=@dockwatch/collector \
      --workspace=@dockwatch/decoder --workspace=@dockwatch/rules --workspace=@dockwatch/sink \
 && mkdir /addons \
 && for addon in re2 better-sqlite3; do \
      npm rebuild "${addon}" --nodedir="${nodedir}" \
      && mkdir "/addons/${addon}" && cp node_modules/${addon}/build/Release/*.node "/addons/${addon}/" || exit 1; \
    done

# ---- prod-deps ---------------------------------------------------------------
# Only the runtime dependencies of the one service, with the compiled addons put in place
# (just the .node files, not the compiler's objects), and loaded once to prove they work.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY --from=manifests /manifests/ ./
COPY --from=addons /addons/ /addons/
ARG SERVICE
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts --workspace=@dockwatch/${SERVICE} \
 && for addon in re2 better-sqlite3; do \
      if [ -d "node_modules/${addon}" ]; then \
        mkdir -p "node_modules/${addon}/build/Release" \
        && cp /addons/${addon}/*.node "node_modules/${addon}/build/Release/" || exit 1; \
      fi; \
    done \
 && if [ -d node_modules/re2 ]; then node -e 'new (require("re2"))("a+").test("aa")'; fi \
 && if [ -d node_modules/better-sqlite3 ]; then node -e 'new (require("better-sqlite3"))(":memory:").close()'; fi

# ---- runtime -----------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production
LABEL org.opencontainers.image.title="dockwatch-${SERVICE}" \
      org.opencontainers.image.description="dockwatch ${SERVICE} service (Docker events -> Kafka -> Elasticsearch alerts)"
WORKDIR /app
# Owned by root, so the service cannot rewrite its own code; it only writes its
# state dir (the collector's COLLECTOR_STATE_DIR, a volume in compose). A named
# volume mounted there starts with this directory's owner, so `node` can write it.
RUN mkdir -p /var/lib/dockwatch && chown node:node /var/lib/dockwatch
COPY --from=prod-deps /app/ ./
COPY --from=build /out/ ./
USER node
# Node's own fetch: the slim image has no curl. HEALTH_PORT comes from the
# service stage below, or from the container's environment when overridden.
# 127.0.0.1, not localhost: the services listen on IPv4 loopback by default
# (HEALTH_HOST), and localhost may resolve to ::1 first. The check runs inside
# the container, so it needs no HEALTH_HOST=0.0.0.0.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.HEALTH_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# One final stage per service: exec-form CMD cannot expand variables, so each
# service's entry point is spelled out here, and the build arg picks the stage.
FROM runtime AS svc-collector
ENV HEALTH_PORT=9481 \
    COLLECTOR_STATE_DIR=/var/lib/dockwatch
EXPOSE 9481
CMD ["node", "services/collector/dist/main.js"]

FROM runtime AS svc-decoder
ENV HEALTH_PORT=9482
EXPOSE 9482
CMD ["node", "services/decoder/dist/main.js"]

FROM runtime AS svc-rules
ENV HEALTH_PORT=9483
EXPOSE 9483
CMD ["node", "services/rules/dist/main.js"]

FROM runtime AS svc-sink
ENV HEALTH_PORT=9484
EXPOSE 9484
CMD ["node", "services/sink/dist/main.js"]

FROM svc-${SERVICE}
