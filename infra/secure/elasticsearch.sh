# infra/secure/elasticsearch.sh: Elasticsearch of the secured stack (sourced by infra/local --secure,
# after infra/secure/certs.sh; redefines the es_* functions that differ from the plaintext one).
#
# - The security module of the distribution in use (modules/x-pack-security of the integ-test zip)
#   is on: TLS on HTTP (https://127.0.0.1:19200) and on transport, certificate from secure_cert.
# - The bootstrap superuser (`elastic`, password from the keystore's bootstrap.password,
#   $SECRETS/elasticsearch-admin.password) is used by infra/local alone (health checks, tests' cleanup).
# - One file-realm user per identity, each with its file role (roles.yml), limited to the alert
#   indices `dockwatch-alerts*` (ES_ALERT_INDICES), password in $SECRETS:
#     dockwatch-sink    elasticsearch-sink.password    the sink (template, daily indices, retention)
#     dockwatch-reader  elasticsearch-reader.password  the dockwatch command (search only)
#   Not API keys: they (like native users and roles made through the API) live in the .security
#   system index, whose mapping needs the analysis-common module (the `pattern_capture` filter); the
#   integ-test zip ships only apm, transport-netty4, x-pack-core and x-pack-security, and no
#   analysis-common 8.19 is published where this machine can fetch from (Maven Central, Debian).
#   POST /_security/api_key answers 400 "Unknown filter type [pattern_capture] for [email]".
#   ELASTICSEARCH_API_KEY works unchanged on a full distribution with the same role descriptors.
#
# The config dir (elasticsearch.yml, keystore, copies of the key and certificates) is
# $SECRETS-elasticsearch, beside $SECRETS and outside the clone, owned by $ES_USER and 0700: the
# server user never needs to enter $SECRETS itself (root's, 0700, no ACL). Data and logs stay in the
# secure state dir.

ES_SECURE_CONF=${SECRETS%/}-elasticsearch
# Every index and alias name the two identities may touch. One pattern for the default prefix
# (alias dockwatch-alerts, daily indices dockwatch-alerts-YYYY.MM.DD) and for any other
# SINK_INDEX_PREFIX that starts with it, e.g. a test's dockwatch-alerts_<run> (an underscore, so its
# template pattern dockwatch-alerts_<run>-* never overlaps the default dockwatch-alerts-*).
ES_ALERT_INDICES=${DOCKWATCH_ES_ALERT_INDICES:-dockwatch-alerts*}

# Read directly once made: secure_password also chmods $SECRETS, not needed on every health check.
es_admin_password() {
  if [[ -s $SECRETS/elasticsearch-admin.password ]]; then cat "$SECRETS/elasticsearch-admin.password"; else secure_password elasticsearch-admin; fi
}

es_java_home() {
  local java_home=${ES_JAVA_HOME:-}
  if [[ -z $java_home && ! -d $ES_HOME/jdk ]]; then # integ-test zip has no bundled JDK
    java_home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  fi
  printf '%s' "$java_home"
}

# es_as_user CMD...: runs an Elasticsearch tool as $ES_USER on the secure config dir.
es_as_user() {
  setpriv --reuid="$ES_USER" --regid="$ES_USER" --clear-groups --reset-env \
    env ES_JAVA_HOME="$(es_java_home)" ES_PATH_CONF="$ES_SECURE_CONF" "$@"
}

es_config() {
  local conf=$ES_SECURE_CONF
  [[ -d $ES_HOME/modules/x-pack-security ]] ||
    die "the Elasticsearch $ES_VERSION distribution in $ES_HOME has no security module (modules/x-pack-security)"
  secure_cert elasticsearch
  mkdir -p "$conf/certs" "$ES_DIR/data" "$ES_DIR/logs" "$ES_DIR/tmp"
  cp "$ES_HOME/config/jvm.options" "$ES_HOME/config/log4j2.properties" "$conf/"
  # Elasticsearch reads TLS files only from its config dir.
  cp "$SECRETS/elasticsearch.crt" "$SECRETS/elasticsearch.key" "$SECRETS/ca.crt" "$conf/certs/"
  cat >"$conf/elasticsearch.yml" <<EOF
# Written by infra/local --secure at each start; edit infra/secure/elasticsearch.sh instead.
cluster.name: dockwatch-secure
node.name: dockwatch-secure
discovery.type: single-node
network.host: 127.0.0.1
http.port: $ES_PORT
# The transport port is never the plaintext node's 9300 (both may run at once).
transport.port: $((ES_PORT + 100))
path.data: $ES_DIR/data
path.logs: $ES_DIR/logs
cluster.routing.allocation.disk.threshold_enabled: false
# Deleting by wildcard needs a name: only the superuser could anyway.
action.destructive_requires_name: true

xpack.security.enabled: true
# Realms: reserved (elastic) and file (roles.yml, users); no anonymous access. API keys stay on
# for a full distribution; this one cannot store them (no .security index, see the file's header).
xpack.security.authc.api_key.enabled: true
xpack.security.http.ssl.enabled: true
xpack.security.http.ssl.key: certs/elasticsearch.key
xpack.security.http.ssl.certificate: certs/elasticsearch.crt
xpack.security.http.ssl.certificate_authorities: [certs/ca.crt]
# No client certificates on HTTP: clients authenticate with a user and password (or an API key).
xpack.security.http.ssl.client_authentication: none
xpack.security.transport.ssl.enabled: true
xpack.security.transport.ssl.verification_mode: certificate
xpack.security.transport.ssl.key: certs/elasticsearch.key
xpack.security.transport.ssl.certificate: certs/elasticsearch.crt
xpack.security.transport.ssl.certificate_authorities: [certs/ca.crt]
EOF
  chown -R "$ES_USER:$ES_USER" "$ES_DIR" "$conf"
  chmod 700 "$conf"
  chmod 600 "$conf/certs/"* "$conf/elasticsearch.yml"
  grant_traverse "$ES_HOME"
  grant_traverse "$ES_DIR"
  grant_traverse "$conf"
  es_users
  # The bootstrap password of `elastic`, in the keystore (read at start, never on a command line);
  # again when the password file is newer than the keystore (secrets made anew).
  es_admin_password >/dev/null
  if [[ ! -f $conf/elasticsearch.keystore || $SECRETS/elasticsearch-admin.password -nt $conf/elasticsearch.keystore ]] ||
    ! es_as_user "$ES_HOME/bin/elasticsearch-keystore" list 2>/dev/null | grep -qx bootstrap.password; then
    {
      [[ -f $conf/elasticsearch.keystore ]] || es_as_user "$ES_HOME/bin/elasticsearch-keystore" create </dev/null
      es_admin_password | es_as_user "$ES_HOME/bin/elasticsearch-keystore" add -x -f bootstrap.password
    } >>"$LOGS/secure.log" 2>&1 || die "could not write the Elasticsearch keystore; see $(rel "$LOGS/secure.log")"
  fi
}

es_launch() {
  command -v jq >/dev/null 2>&1 || apt_install jq # es_provision reads the API's answers with it
  es_fetch
  es_user
  es_config
  start_detached elasticsearch "$ES_DIR/logs" \
    setpriv --reuid="$ES_USER" --regid="$ES_USER" --clear-groups --reset-env \
    env ES_JAVA_HOME="$(es_java_home)" ES_PATH_CONF="$ES_SECURE_CONF" ES_TMPDIR="$ES_DIR/tmp" \
    ES_JAVA_OPTS="-Xms1g -Xmx1g" "$ES_HOME/bin/elasticsearch"
}

# es_admin METHOD PATH [JSON]: one call as the bootstrap superuser; prints the answer, fails on
# an HTTP error (its body on stderr). The password goes to curl on stdin, not on its command line.
es_admin() {
  local method=$1 path=$2 body=${3:-} out code
  out=$(mktemp)
  code=$(printf 'user = "elastic:%s"\n' "$(es_admin_password)" |
    curl -sS --max-time 30 -K - --cacert "$SECRETS/ca.crt" -X "$method" -o "$out" -w '%{http_code}' \
      -H 'Content-Type: application/json' ${body:+--data-binary "$body"} "$(es_address)$path") || code=000
  if [[ $code == 2* ]]; then
    cat "$out"
    rm -f "$out"
    return 0
  fi
  printf 'elasticsearch %s %s: HTTP %s %s\n' "$method" "$path" "$code" "$(cat "$out")" >&2
  rm -f "$out"
  return 1
}

es_healthy() {
  [[ -s $SECRETS/ca.crt && -s $SECRETS/elasticsearch-admin.password ]] || return 1
  es_admin GET /_cluster/health 2>/dev/null | grep -qE '"status":"(green|yellow)"'
}

es_address() { printf 'https://127.0.0.1:%s' "$ES_PORT"; }

# The roles (roles.yml: JSON is YAML). Raw action names where a named privilege would give more.
es_role() {
  case $1 in
    dockwatch-sink)
      # cluster:monitor/health   the wait for a yellow cluster at start (waitForElasticsearch)
      # cluster:monitor/state    _cat/indices of the retention pass (besides index `monitor`)
      # indices:admin/index_template/put  PUT _index_template/<prefix> at start; not the named
      #                          manage_index_templates (get and delete too). No privilege names a
      #                          template: the sink could put a template for any pattern.
      # create_doc               bulk `create` of a new alert; index: bulk `index` (today's sink, and
      #                          the explicit update path of a replay)
      # create_index             the daily index is created by the first write (its alias from the template)
      # monitor (index)          _cat/indices <prefix>-* (retention); delete_index: expired days
      jq -nc --arg p "$ES_ALERT_INDICES" '{
        cluster: ["cluster:monitor/health", "cluster:monitor/state", "indices:admin/index_template/put"],
        indices: [{ names: [$p], privileges: ["create_doc", "index", "create_index", "monitor", "delete_index"], allow_restricted_indices: false }],
        metadata: { owner: "infra/local", for: "the dockwatch sink" }
      }'
      ;;
    dockwatch-reader)
      # read  search the alias (dockwatch status / summary); nothing on the cluster, no writes
      jq -nc --arg p "$ES_ALERT_INDICES" '{
        cluster: [],
        indices: [{ names: [$p], privileges: ["read"], allow_restricted_indices: false }],
        metadata: { owner: "infra/local", for: "the dockwatch command" }
      }'
      ;;
    *) die "unknown Elasticsearch role $1" ;;
  esac
}

# The identities (file realm): user = role, password $SECRETS/elasticsearch-<role minus dockwatch->.password.
ES_IDENTITIES=(dockwatch-sink dockwatch-reader)

# es_users: roles.yml, the users (bcrypt hashes, written by elasticsearch-users with the password on
# its stdin) and users_roles. The file realm and file roles need no index: the native realm and API
# keys live in the .security index, which this distribution cannot create (see es_config).
es_users() {
  local conf=$ES_SECURE_CONF role user pw
  {
    echo "# Written by infra/local --secure at each start; edit infra/secure/elasticsearch.sh instead."
    for role in "${ES_IDENTITIES[@]}"; do printf '%s: %s\n' "$role" "$(es_role "$role")"; done
  } >"$conf/roles.yml"
  # Made anew when a user is missing or a password file is newer than it (secrets made anew).
  local stale=0
  for user in "${ES_IDENTITIES[@]}"; do
    secure_password "elasticsearch-${user#dockwatch-}" >/dev/null
    [[ -f $conf/users && $SECRETS/elasticsearch-${user#dockwatch-}.password -ot $conf/users ]] &&
      grep -q "^$user:" "$conf/users" || stale=1
  done
  if ((stale)); then
    rm -f "$conf/users"
    install -o "$ES_USER" -g "$ES_USER" -m 600 /dev/null "$conf/users"
  fi
  [[ -f $conf/users_roles ]] || install -o "$ES_USER" -g "$ES_USER" -m 600 /dev/null "$conf/users_roles"
  for user in "${ES_IDENTITIES[@]}"; do
    grep -q "^$user:" "$conf/users" && continue
    pw=$(secure_password "elasticsearch-${user#dockwatch-}")
    printf '%s\n%s\n' "$pw" "$pw" | es_as_user "$ES_HOME/bin/elasticsearch-users" useradd "$user" >>"$LOGS/secure.log" 2>&1 ||
      die "adding the Elasticsearch user $user failed; see $(rel "$LOGS/secure.log")"
  done
  for role in "${ES_IDENTITIES[@]}"; do printf '%s:%s\n' "$role" "$role"; done >"$conf/users_roles"
  chown "$ES_USER:$ES_USER" "$conf/roles.yml" "$conf/users_roles"
  chmod 600 "$conf/roles.yml" "$conf/users_roles"
}

# secure_es_env SERVICE: the documented settings that give SERVICE the secured Elasticsearch, as
# NAME=value lines (nothing for a service that does not use it). `cli` (or `dockwatch`) is the
# dockwatch command.
secure_es_env() {
  local user
  case $1 in
    sink) user=dockwatch-sink ;;
    cli | dockwatch) user=dockwatch-reader ;;
    *) return 0 ;;
  esac
  printf 'ELASTICSEARCH_URL=%s\n' "$(es_address)"
  printf 'ELASTICSEARCH_CA_FILE=%s\n' "$SECRETS/ca.crt"
  printf 'ELASTICSEARCH_USERNAME=%s\n' "$user"
  printf 'ELASTICSEARCH_PASSWORD_FILE=%s\n' "$SECRETS/elasticsearch-${user#dockwatch-}.password"
}
