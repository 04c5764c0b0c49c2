# infra/secure/redis.sh: Redis of the secured stack (sourced by infra/local --secure, after
# infra/secure/certs.sh; redefines the redis_* functions that differ from the plaintext one).
#
# - TLS only: no plaintext port (port 0), TLS on tls-port 16379 with a certificate of the local CA.
#   Clients need no certificate of their own (tls-auth-clients no): they authenticate with ACL users.
# - ACL users ($SECRETS/redis.acl, passwords stored as SHA-256 only; plaintext in $SECRETS):
#     default          off: no connection is accepted without a user and its password
#     dockwatch-rules  the rules service: keys under its prefix `dockwatch:` (REDIS_KEY_PREFIX's
#                      default; a test's prefix dockwatch:<run>: is under it), and only the
#                      commands it sends (REDIS_RULES_COMMANDS); password redis-rules.password
#     dockwatch-admin  infra/local alone (health check, tests' setup); password redis-admin.password

# Every command the rules service sends, and why. ACLs also apply to the commands its Lua scripts
# call, so those are listed too. Anything else (KEYS, FLUSHALL, CONFIG, SCRIPT, PUBLISH…) is NOPERM.
REDIS_RULES_COMMANDS=(
  eval evalsha       # ioredis defineCommand: EVAL once per connection, then EVALSHA
  info               # ioredis's ready check at connect (INFO: is the dataset loaded?)
  client\|setname    # connectionName "dockwatch-rules" (who holds a connection, CLIENT LIST)
  quit               # a clean stop (redis.quit())
  # correlator.ts (frequency windows) and hosts.ts (silent hosts), inside the scripts:
  hget hset hdel hgetall pexpire sadd scard del zadd zrem zrangebyscore
)
REDIS_RULES_KEYS=${DOCKWATCH_REDIS_KEYS:-dockwatch:*}

# Read directly once made: secure_password also chmods $SECRETS.
redis_password() {
  if [[ -s $SECRETS/$1.password ]]; then cat "$SECRETS/$1.password"; else secure_password "$1"; fi
}

redis_sha() { printf '%s' "$(redis_password "$1")" | sha256sum | cut -d' ' -f1; }

# The ACL file, written at each start (users and rules follow this script; passwords are kept).
redis_acl() {
  local cmd rules=""
  for cmd in "${REDIS_RULES_COMMANDS[@]}"; do rules+=" +$cmd"; done
  (
    umask 077
    cat >"$SECRETS/redis.acl" <<EOF
user default off resetkeys resetchannels -@all
user dockwatch-rules on #$(redis_sha redis-rules) resetkeys ~$REDIS_RULES_KEYS resetchannels -@all$rules
user dockwatch-admin on #$(redis_sha redis-admin) ~* &* +@all
EOF
  )
}

# redis_admin ARGS...: redis-cli as dockwatch-admin over TLS (the password in its environment).
redis_admin() {
  REDISCLI_AUTH=$(redis_password redis-admin) redis-cli --no-auth-warning --tls --cacert "$SECRETS/ca.crt" \
    --user dockwatch-admin -h 127.0.0.1 -p "$REDIS_PORT" "$@"
}

redis_healthy() {
  [[ -s $SECRETS/ca.crt && -s $SECRETS/redis-admin.password ]] || return 1
  [[ $(redis_admin ping 2>/dev/null) == PONG ]]
}

redis_launch() {
  local log
  log=$(logfile redis)
  mkdir -p "$REDIS_DIR"
  secure_cert redis
  redis_password redis-rules >/dev/null
  redis_password redis-admin >/dev/null
  redis_acl
  printf '\n==== %s: starting redis (TLS, ACL)\n' "$(date -Is)" >>"$log"
  # As the plaintext one (daemonized, AOF), but TLS only and users from the ACL file.
  # shellcheck disable=SC2094 # redis appends to the log itself only after we let go of it
  (cd "$REDIS_DIR" && setsid redis-server --bind 127.0.0.1 --port 0 --tls-port "$REDIS_PORT" \
    --tls-cert-file "$SECRETS/redis.crt" --tls-key-file "$SECRETS/redis.key" \
    --tls-ca-cert-file "$SECRETS/ca.crt" --tls-auth-clients no \
    --aclfile "$SECRETS/redis.acl" \
    --daemonize yes --pidfile "$RUN/redis.pid" --logfile "$log" --dir "$REDIS_DIR" \
    --appendonly yes --appendfsync everysec \
    </dev/null >>"$log" 2>&1 9>&-) || die "redis did not start; see $(rel "$log")"
}

redis_address() { printf 'rediss://127.0.0.1:%s' "$REDIS_PORT"; }

# secure_redis_env SERVICE: the documented settings that give SERVICE the secured Redis, as
# NAME=value lines (only the rules service uses Redis).
secure_redis_env() {
  [[ $1 == rules ]] || return 0
  printf 'REDIS_URL=%s\n' "$(redis_address)"
  printf 'REDIS_TLS_CA_FILE=%s\n' "$SECRETS/ca.crt"
  printf 'REDIS_USERNAME=%s\n' dockwatch-rules
  printf 'REDIS_PASSWORD_FILE=%s\n' "$SECRETS/redis-rules.password"
}
