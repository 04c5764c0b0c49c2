# infra/secure/kafka.sh: the secured Kafka (sourced by infra/local --secure after infra/secure/certs.sh;
# redefines the kafka_* functions that differ). One KRaft node:
#
#   127.0.0.1:19092  SASL_SSL, SCRAM-SHA-512: every client and the broker's own inter-broker traffic
#   127.0.0.1:19093  the KRaft controller, SSL with client certificates required: only a holder of
#                    a certificate of the local CA gets a session, and only the broker's own
#                    (CN=kafka) is a super user; PLAINTEXT would make any local process one
#   127.0.0.1:19094  SASL_SSL with an EXPIRED server certificate, for the denial test that a client
#                    refuses it (nothing else uses it; it authenticates and authorizes like 19092)
#
# The StandardAuthorizer denies what no ACL allows (allow.everyone.if.no.acl.found=false). One
# principal per service, its ACLs in kafka_acl_plan below; `admin` (super user) is used by
# infra/local only, to create topics, credentials and ACLs. Passwords: $SECRETS/kafka-<user>.password.

KAFKA_EXPIRED_PORT=$((KAFKA_PORT + 2))
KAFKA_USERS=(admin collector decoder rules sink dockwatch)
KAFKA_SERVICES=(collector decoder rules sink dockwatch)

kafka_password_file() { printf '%s/kafka-%s.password' "$SECRETS" "$1"; }

# The broker's key material and the admin client's config, in $SECRETS (0600), made once.
kafka_secrets() {
  local u
  secure_cert kafka
  DAYS=-1 secure_cert kafka-expired # notAfter a day before notBefore: expired from birth
  for u in "${KAFKA_USERS[@]}"; do secure_password "kafka-$u" >/dev/null; done
  (
    umask 077
    # Kafka's PEM keystore: the private key and the certificate in one file.
    cat "$SECRETS/kafka.key" "$SECRETS/kafka.crt" >"$SECRETS/kafka.pem"
    cat "$SECRETS/kafka-expired.key" "$SECRETS/kafka-expired.crt" >"$SECRETS/kafka-expired.pem"
    # Read by the broker through its FileConfigProvider, so server.properties (in the clone's
    # state dir) carries no secret.
    printf 'admin.password=%s\n' "$(secure_password kafka-admin)" >"$SECRETS/kafka-broker.properties"
    # The admin's client config, for infra/local and for Kafka's own tools:
    #   kafka-topics.sh --bootstrap-server 127.0.0.1:19092 --command-config $SECRETS/kafka-admin.properties
    cat >"$SECRETS/kafka-admin.properties" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(secure_password kafka-admin)";
ssl.truststore.type=PEM
ssl.truststore.location=$SECRETS/ca.crt
EOF
  )
}

kafka_config() {
  local node=$1 dir=$STATE/$1
  ((KAFKA_NODES == 1)) || die "the secured Kafka is one node (KAFKA_NODES=1)"
  kafka_secrets
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<EOF
# Written by infra/local --secure at each start (infra/secure/kafka.sh); edit that instead.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$(kafka_controller_port "$node")
listeners=SASL_SSL://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$(kafka_controller_port "$node"),EXPIRED://127.0.0.1:$KAFKA_EXPIRED_PORT
advertised.listeners=SASL_SSL://127.0.0.1:$KAFKA_PORT,EXPIRED://127.0.0.1:$KAFKA_EXPIRED_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SSL,EXPIRED:SASL_SSL

# TLS: the server certificate of the local CA (PEM, no keystore password to keep), which every
# client trusts through ca.crt. The controller listener also wants the client's certificate.
ssl.keystore.type=PEM
ssl.keystore.location=$SECRETS/kafka.pem
ssl.truststore.type=PEM
ssl.truststore.location=$SECRETS/ca.crt
ssl.endpoint.identification.algorithm=https
listener.name.controller.ssl.client.auth=required
listener.name.expired.ssl.keystore.location=$SECRETS/kafka-expired.pem

# SASL: SCRAM-SHA-512 only; the broker itself logs in as admin on the inter-broker listener.
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
config.providers=file
config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="\${file:$SECRETS/kafka-broker.properties:admin.password}";
listener.name.expired.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;

# Authorization: what no ACL allows is denied. admin (SCRAM) and the broker's certificate on the
# controller listener (CN=kafka) are the only super users.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:CN=kafka

log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
EOF
  if [[ ! -f $dir/data/meta.properties ]]; then
    # The broker logs in as admin before any admin call can create users, so that one credential
    # is written with the storage (KRaft's bootstrap records); the others are set by kafka_topics.
    # The password is on this one short-lived, local command line: StorageTool takes it no other way.
    kafka_java kafka.tools.StorageTool format --ignore-formatted -t "$KAFKA_CLUSTER_ID" \
      -c "$dir/server.properties" \
      --add-scram "SCRAM-SHA-512=[name=admin,password=$(secure_password kafka-admin)]" \
      >>"$(logfile "$node")" 2>&1 ||
      die "formatting kafka storage failed; see $(rel "$(logfile "$node")")"
  fi
}

kafka_healthy() { port_open "$KAFKA_PORT"; }

# The access each principal has: user, resource type, pattern type, name, operation (ALLOW).
# Topics and groups are PREFIXED: TOPIC_RAW=docker.events.raw.<test> (a test's or a second
# pipeline's own topics, created by admin) and DECODER_CONSUMER_GROUP=dockwatch-decoder-<test>
# get the same rights as the contract's names. No contract topic is a prefix of another, and only
# admin creates topics, so a prefix never reaches a topic of another stage.
#   WRITE implies DESCRIBE, READ implies DESCRIBE; an idempotent producer needs no IDEMPOTENT_WRITE
#   since Kafka 3.0 (KIP-679: WRITE on any topic allows InitProducerId).
#   DESCRIBE_CONFIGS on a service's own topics: its start checks their min.insync.replicas.
#   dockwatch-schema-reader-*: every process reads the schema topic with a throw-away group.
kafka_acl_plan() {
  local raw=docker.events.raw decoded=docker.events.decoded alerts=alerts dlq=dockwatch.dlq schemas=dockwatch.schemas
  local readers=dockwatch-schema-reader- u
  for u in collector decoder rules sink dockwatch; do
    printf '%s\n' "acl $u TOPIC PREFIXED $schemas READ" "acl $u GROUP PREFIXED $readers READ"
  done
  for u in collector decoder rules sink; do
    printf '%s\n' "acl $u TOPIC PREFIXED $dlq WRITE" "acl $u TOPIC PREFIXED $dlq DESCRIBE_CONFIGS" \
      "acl $u TOPIC PREFIXED $schemas DESCRIBE_CONFIGS"
  done
  # Writers of Avro records register their schemas (the sink writes none: raw bytes to the DLQ).
  for u in collector decoder rules; do printf '%s\n' "acl $u TOPIC PREFIXED $schemas WRITE"; done
  cat <<EOF
acl collector TOPIC PREFIXED $raw WRITE
acl collector TOPIC PREFIXED $raw DESCRIBE_CONFIGS
acl decoder TOPIC PREFIXED $raw READ
acl decoder TOPIC PREFIXED $raw DESCRIBE_CONFIGS
acl decoder TOPIC PREFIXED $decoded WRITE
acl decoder TOPIC PREFIXED $decoded DESCRIBE_CONFIGS
acl decoder GROUP PREFIXED dockwatch-decoder READ
acl rules TOPIC PREFIXED $decoded READ
acl rules TOPIC PREFIXED $decoded DESCRIBE_CONFIGS
acl rules TOPIC PREFIXED $alerts WRITE
acl rules TOPIC PREFIXED $alerts DESCRIBE_CONFIGS
acl rules GROUP PREFIXED dockwatch-rules READ
acl rules GROUP PREFIXED dockwatch-replay- READ
acl rules GROUP PREFIXED dockwatch-replay- DELETE
acl sink TOPIC PREFIXED $alerts READ
acl sink TOPIC PREFIXED $alerts DESCRIBE_CONFIGS
acl sink GROUP PREFIXED dockwatch-sink READ
acl dockwatch TOPIC PREFIXED $alerts READ
acl dockwatch TOPIC PREFIXED $dlq READ
acl dockwatch TOPIC PREFIXED $raw DESCRIBE
acl dockwatch TOPIC PREFIXED $decoded DESCRIBE
acl dockwatch GROUP PREFIXED dockwatch-decoder DESCRIBE
acl dockwatch GROUP PREFIXED dockwatch-rules DESCRIBE
acl dockwatch GROUP PREFIXED dockwatch-sink DESCRIBE
acl dockwatch GROUP PREFIXED dockwatch-cli- READ
acl dockwatch GROUP PREFIXED dockwatch-cli- DELETE
acl dockwatch GROUP PREFIXED dockwatch-tail- READ
acl dockwatch GROUP PREFIXED dockwatch-tail- DELETE
EOF
}

# KafkaAccess.java compiled once per version of it, into the cache (javac: the JDK's, installed
# when missing); prints the class directory.
kafka_access_classes() {
  local dir
  dir=$CACHE/kafka-access-$(sha256sum "$INFRA/secure/KafkaAccess.java" | cut -c1-12)
  if [[ ! -f $dir/KafkaAccess.class ]]; then
    command -v javac >/dev/null 2>&1 || apt_install openjdk-17-jdk-headless
    javac -nowarn -d "$dir.tmp" -cp "$KAFKA_HOME/libs/*" "$INFRA/secure/KafkaAccess.java" >>"$LOGS/kafka-topics.log" 2>&1 ||
      die "compiling infra/secure/KafkaAccess.java failed; see $(rel "$LOGS/kafka-topics.log")"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  printf '%s' "$dir"
}

# Topics (as admin: no service may create one), the services' SCRAM credentials and the ACLs,
# in one JVM. Idempotent: an up on a running stack changes nothing but re-sets the credentials
# from the password files.
kafka_topics() {
  local u name parts rf cfgs classes log=$LOGS/kafka-topics.log
  kafka_fetch
  kafka_secrets
  classes=$(kafka_access_classes)
  {
    for u in "${KAFKA_SERVICES[@]}"; do echo "scram $u $(kafka_password_file "$u")"; done
    while read -r name parts rf cfgs; do echo "topic $name $parts $rf ${cfgs:--}"; done < <(kafka_topic_plan)
    kafka_acl_plan
  } | java -Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$INFRA/kafka/log4j2-tools.properties" \
    -cp "$classes:$KAFKA_HOME/libs/*" KafkaAccess "$(kafka_bootstrap)" "$SECRETS/kafka-admin.properties" \
    2> >(tee -a "$log" | grep '^kafka:' >&2) ||
    die "setting up kafka topics, users and ACLs failed; see $(rel "$log")"
}

# kafka_env USER: the settings a service (or the dockwatch command) needs to reach the secured Kafka
# as USER (README "Configuration"). The password stays in its file.
kafka_env() {
  local user=${1/#cli/dockwatch}
  [[ " ${KAFKA_USERS[*]} " == *" $user "* ]] || die "no Kafka principal $user (${KAFKA_USERS[*]})"
  cat <<EOF
KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
KAFKA_SSL=true
KAFKA_SSL_CA_FILE=$SECRETS/ca.crt
KAFKA_SASL_MECHANISM=scram-sha-512
KAFKA_SASL_USERNAME=$user
KAFKA_SASL_PASSWORD_FILE=$(kafka_password_file "$user")
KAFKA_REPLICATION_FACTOR=1
KAFKA_MIN_INSYNC_REPLICAS=1
EOF
}
