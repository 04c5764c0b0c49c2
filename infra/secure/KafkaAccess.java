// infra/secure/KafkaAccess.java: brings the secured Kafka's access control to what infra/secure/kafka.sh
// declares, in one JVM through Kafka's own Admin API (compiled once into the cache, see kafka.sh):
// SCRAM credentials, topics and ACLs. A JVM per kafka-acls/kafka-configs call would cost ~2 s each,
// ~40 s for the whole table; and this way no password is ever on a command line.
//
// usage: java -cp '<classes>:<kafka libs>/*' KafkaAccess BOOTSTRAP ADMIN_CLIENT_PROPERTIES < plan
// plan, one item per line (fields separated by spaces):
//   scram USER PASSWORD_FILE                       upsert the user's SCRAM-SHA-512 credential
//   topic NAME PARTITIONS REPLICATION CONFIGS      create if missing (CONFIGS: k=v,k=v or -)
//   acl USER RESOURCE_TYPE PATTERN_TYPE NAME OP    an ALLOW binding (e.g. acl decoder TOPIC PREFIXED alerts READ)
// The ACLs of every user named in an acl or scram line become exactly the plan's: bindings of
// those users that the plan no longer has are deleted, so shrinking the table takes rights away.

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.common.acl.*;
import org.apache.kafka.common.resource.*;

public class KafkaAccess {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    try (var in = Files.newInputStream(Path.of(args[1]))) {
      props.load(in);
    }
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
    List<String[]> plan = new ArrayList<>();
    try (var reader = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      for (String line; (line = reader.readLine()) != null; ) {
        line = line.trim();
        if (!line.isEmpty() && !line.startsWith("#")) plan.add(line.split("\\s+"));
      }
    }
    // Right after start the listener is open before the broker has caught up with its metadata
    // (the SCRAM credentials in it): authentication fails for a few seconds. Retry the whole plan.
    long deadline = System.currentTimeMillis() + 60_000;
    while (true) {
      try (Admin admin = Admin.create(props)) {
        apply(admin, plan);
        return;
      } catch (java.util.concurrent.ExecutionException e) {
        if (System.currentTimeMillis() > deadline) throw e;
        System.err.println("kafka access: not yet (" + e.getClass().getSimpleName() + ": " + e.getMessage() + "), retrying");
        Thread.sleep(1000);
      }
    }
  }

  static void apply(Admin admin, List<String[]> plan) throws Exception {
    Set<String> users = new TreeSet<>();
    List<UserScramCredentialAlteration> scram = new ArrayList<>();
    List<NewTopic> topics = new ArrayList<>();
    Set<AclBinding> wanted = new LinkedHashSet<>();
    for (String[] f : plan) {
      switch (f[0]) {
        case "scram" -> {
          // The password file as the services read it (KAFKA_SASL_PASSWORD_FILE): without its final newline.
          String password = Files.readString(Path.of(f[2]), StandardCharsets.UTF_8).strip();
          scram.add(new UserScramCredentialUpsertion(f[1], new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password));
          users.add("User:" + f[1]);
        }
        case "topic" -> {
          NewTopic t = new NewTopic(f[1], Integer.parseInt(f[2]), Short.parseShort(f[3]));
          Map<String, String> configs = new HashMap<>();
          if (!f[4].equals("-")) {
            for (String kv : f[4].split(",")) configs.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
          }
          topics.add(t.configs(configs));
        }
        case "acl" -> {
          String principal = "User:" + f[1];
          users.add(principal);
          wanted.add(new AclBinding(
              new ResourcePattern(ResourceType.fromString(f[2]), f[4], PatternType.fromString(f[3])),
              new AccessControlEntry(principal, "*", AclOperation.fromString(f[5]), AclPermissionType.ALLOW)));
        }
        default -> throw new IllegalArgumentException("unknown plan line: " + String.join(" ", f));
      }
    }
    if (!scram.isEmpty()) admin.alterUserScramCredentials(scram).all().get();

    Set<String> existing = admin.listTopics().names().get();
    List<NewTopic> missing = topics.stream().filter(t -> !existing.contains(t.name())).toList();
    if (!missing.isEmpty()) {
      admin.createTopics(missing).all().get();
      for (NewTopic t : missing) System.err.println("kafka: created topic " + t.name() + " (" + t.numPartitions() + " partition(s), replication factor " + t.replicationFactor() + ")");
    }

    Collection<AclBinding> current = admin.describeAcls(AclBindingFilter.ANY).values().get();
    List<AclBindingFilter> stale = current.stream()
        .filter(b -> users.contains(b.entry().principal()) && !wanted.contains(b))
        .map(AclBinding::toFilter).toList();
    List<AclBinding> add = wanted.stream().filter(b -> !current.contains(b)).toList();
    if (!stale.isEmpty()) admin.deleteAcls(stale).all().get();
    if (!add.isEmpty()) admin.createAcls(add).all().get();
    System.err.println("kafka: " + scram.size() + " SCRAM credential(s) set, " + wanted.size() + " ACL(s) in force ("
        + add.size() + " added, " + stale.size() + " removed)");
  }
}
