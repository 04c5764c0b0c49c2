import { alertIndexNames, type AlertIndexNames } from "@dockwatch/contracts";

const keyword = { type: "keyword", ignore_above: 1024 };

/**
 * The composable index template for daily alert indices. Strings default to
 * keyword (exact filters and terms aggregations in Kibana); label and
 * attribute keys, which users choose, go into one flattened field each so
 * they cannot explode the mapping. `names` (SINK_INDEX_PREFIX) decides which
 * indices it applies to and the alias they join.
 */
export function alertIndexTemplate(replicas: number, names: AlertIndexNames = alertIndexNames()) {
  return {
    index_patterns: [names.pattern],
    priority: 200,
    template: {
      settings: {
        number_of_shards: 1,
        number_of_replicas: replicas,
        // A guard, not a budget: the mapping above plus flattened labels stays far below it.
        "index.mapping.total_fields.limit": 2000,
      },
      aliases: { [names.alias]: {} },
      mappings: {
        dynamic_templates: [{ strings_as_keyword: { match_mapping_type: "string", mapping: keyword } }],
        properties: {
          timestamp: { type: "date", format: "strict_date_optional_time||yyyy-MM-dd'T'HH:mm:ss.SSSZ" },
          id: keyword,
          rule: {
            properties: {
              level: { type: "integer" },
              id: keyword,
              description: { type: "text", fields: { keyword } },
              mail: { type: "boolean" },
              groups: keyword,
              pci_dss: keyword,
              gdpr: keyword,
              hipaa: keyword,
              nist_800_53: keyword,
              tsc: keyword,
              mitre: { properties: { id: keyword, tactic: keyword, technique: keyword } },
            },
          },
          agent: { properties: { id: keyword, name: keyword, ip: keyword } },
          manager: { properties: { name: keyword } },
          cluster: { properties: { name: keyword, node: keyword } },
          full_log: { type: "text" },
          decoder: { properties: { name: keyword } },
          location: keyword,
          data: {
            properties: {
              integration: keyword,
              docker: {
                properties: {
                  status: keyword,
                  id: keyword,
                  from: keyword,
                  Type: keyword,
                  Action: keyword,
                  scope: keyword,
                  time: keyword,
                  timeNano: keyword,
                  Actor: { properties: { ID: keyword, Attributes: { type: "flattened", ignore_above: 1024 } } },
                },
              },
            },
          },
          dockwatch: { properties: { version: keyword, ruleset: keyword, correlation: keyword, truncated: { type: "boolean" } } },
          // The normalized container of the source event (Alert.container).
          container: {
            properties: {
              id: keyword,
              name: keyword,
              imageName: keyword,
              labels: { type: "flattened", ignore_above: 1024 },
              compose: { properties: { project: keyword, service: keyword } },
              kubernetes: { properties: { namespace: keyword, pod: keyword, container: keyword } },
              inspect: {
                properties: {
                  privileged: { type: "boolean" },
                  capAdd: keyword,
                  mounts: { properties: { type: keyword, source: keyword, destination: keyword, readWrite: { type: "boolean" } } },
                  networkMode: keyword,
                  pidMode: keyword,
                  ipcMode: keyword,
                  utsMode: keyword,
                  user: keyword,
                  seccompProfile: keyword,
                  apparmorProfile: keyword,
                  restartPolicy: keyword,
                  image: keyword,
                  imageId: keyword,
                  healthcheck: keyword,
                },
              },
            },
          },
        },
      },
    },
    _meta: { description: "dockwatch alerts (installed by the sink at start)" },
  };
}
