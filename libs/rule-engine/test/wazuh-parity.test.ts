import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Alert } from "@dockwatch/contracts";
import { SHIPPED_RULES_DIR, evaluate, loadRuleset, matchEvent, toDecodedEvent } from "../src/index.js";
import { decodedEvent, type EventSketch, testAlertContext } from "../src/testing.js";

/**
 * Parity with Wazuh 4.14's Docker ruleset. The expectations are DATA taken
 * from Wazuh's own files (wazuh/wazuh, tag v4.14.4, commit
 * 5933ec9ebee76fb2546e5f7fc9f3a27d0aeca605; identical in v4.14.7), not from
 * our ruleset:
 * - WAZUH_RULES: ruleset/rules/0560-docker_integration_rules.xml, one row per
 *   <rule>: id, level, if_sid, its <field> patterns (OS_Regex, verbatim), its
 *   compliance groups (pci_dss_*, gdpr_*, hipaa_*, nist_800_53_*, tsc_*) and
 *   <mitre><id>s.
 * - WAZUH_CASES: ruleset/testing/tests/docker_integration.ini, Wazuh's own
 *   Docker test cases (the log, the rule and level Wazuh expects).
 * - TECHNIQUES: the names and tactics MITRE ATT&CK gives those technique ids.
 */
interface WazuhRule {
  id: string;
  level: number;
  parent: string | null;
  match: Record<string, string>;
  pci_dss: string[];
  gdpr: string[];
  hipaa: string[];
  nist_800_53: string[];
  tsc: string[];
  mitre: string[];
}

const WAZUH_RULES: WazuhRule[] = [
  { id: "87900", level: 0, parent: null, match: {"integration": "^docker$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87901", level: 3, parent: "87900", match: {"docker.Action": "^create$"}, pci_dss: ["10.2.7"], gdpr: [], hipaa: ["164.312.b"], nist_800_53: ["AU.14"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87902", level: 5, parent: "87900", match: {"docker.Action": "^destroy$"}, pci_dss: ["10.2.7", "11.5"], gdpr: [], hipaa: ["164.312.b", "164.312.c.1", "164.312.c.2"], nist_800_53: ["AU.14", "SI.7"], tsc: ["CC6.8", "CC7.2", "CC7.3", "PI1.4", "PI1.5", "CC6.1"], mitre: ["T1561.001"] },
  { id: "87903", level: 3, parent: "87900", match: {"docker.Action": "^start$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87904", level: 3, parent: "87900", match: {"docker.Action": "^stop$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87905", level: 3, parent: "87900", match: {"docker.Action": "^pause$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87906", level: 3, parent: "87900", match: {"docker.Action": "^unpause$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87907", level: 3, parent: "87900", match: {"docker.Action": "^exec_start: "}, pci_dss: [], gdpr: ["IV_32.2"], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87908", level: 5, parent: "87907", match: {"docker.Action": "^exec_start: bash $|^exec_start: /bin/bash $|^exec_start: sh $|^exec_start: dash $|^exec_start: /bin/dash $"}, pci_dss: ["10.2.7"], gdpr: ["IV_32.2"], hipaa: ["164.312.b"], nist_800_53: ["AU.14"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87909", level: 3, parent: "87900", match: {"docker.Action": "^restart$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87910", level: 3, parent: "87900", match: {"docker.Action": "^extract-to-dir$"}, pci_dss: [], gdpr: ["IV_32.2"], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87911", level: 3, parent: "87900", match: {"docker.Action": "^archive-path$"}, pci_dss: [], gdpr: ["IV_32.2"], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87912", level: 0, parent: "87900", match: {"docker.Type": "^volume$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87913", level: 3, parent: "87912", match: {"docker.Action": "^create$"}, pci_dss: ["10.2.7"], gdpr: [], hipaa: ["164.312.b"], nist_800_53: ["AU.14"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87914", level: 7, parent: "87912", match: {"docker.Action": "^destroy$"}, pci_dss: ["10.2.7", "11.5"], gdpr: [], hipaa: ["164.312.b", "164.312.c.1", "164.312.c.2"], nist_800_53: ["AU.14", "SI.7"], tsc: ["CC6.8", "CC7.2", "CC7.3", "PI1.4", "PI1.5", "CC6.1"], mitre: ["T1070.004", "T1561.001"] },
  { id: "87915", level: 3, parent: "87912", match: {"docker.Action": "^mount$"}, pci_dss: ["10.2.7"], gdpr: [], hipaa: ["164.312.b"], nist_800_53: ["AU.14"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87916", level: 5, parent: "87912", match: {"docker.Action": "^unmount$"}, pci_dss: ["10.2.7", "11.5"], gdpr: [], hipaa: ["164.312.b", "164.312.c.1", "164.312.c.2"], nist_800_53: ["AU.14", "SI.7"], tsc: ["CC6.8", "CC7.2", "CC7.3", "PI1.4", "PI1.5", "CC6.1"], mitre: [] },
  { id: "87917", level: 3, parent: "87900", match: {"docker.Action": "^commit$"}, pci_dss: ["10.2.7"], gdpr: [], hipaa: ["164.312.b"], nist_800_53: ["AU.14"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87918", level: 3, parent: "87900", match: {"docker.Action": "^tag$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87919", level: 3, parent: "87900", match: {"docker.Action": "^untag$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87920", level: 3, parent: "87900", match: {"docker.Action": "^import$"}, pci_dss: ["10.2.7"], gdpr: ["IV_32.2"], hipaa: ["164.312.b"], nist_800_53: ["AU.14"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87921", level: 7, parent: "87900", match: {"docker.Action": "^delete$"}, pci_dss: ["10.2.7", "11.5"], gdpr: [], hipaa: ["164.312.b", "164.312.c.1", "164.312.c.2"], nist_800_53: ["AU.14", "SI.7"], tsc: ["CC6.8", "CC7.2", "CC7.3", "PI1.4", "PI1.5", "CC6.1"], mitre: ["T1070.004", "T1561.001"] },
  { id: "87922", level: 3, parent: "87900", match: {"docker.Action": "^attach$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87923", level: 5, parent: "87900", match: {"docker.Action": "^export$"}, pci_dss: ["10.2.7"], gdpr: ["IV_32.2"], hipaa: ["164.312.b"], nist_800_53: ["AU.14"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87924", level: 7, parent: "87900", match: {"docker.Action": "^kill$|^die$"}, pci_dss: [], gdpr: ["IV_32.2"], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87925", level: 3, parent: "87900", match: {"docker.Action": "^update$"}, pci_dss: ["11.5"], gdpr: [], hipaa: ["164.312.c.1", "164.312.c.2"], nist_800_53: ["SI.7"], tsc: ["PI1.4", "PI1.5", "CC6.1", "CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87926", level: 3, parent: "87900", match: {"docker.Action": "^top$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87927", level: 0, parent: "87900", match: {"docker.Type": "^network$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87928", level: 3, parent: "87927", match: {"docker.Action": "^connect$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87929", level: 4, parent: "87927", match: {"docker.Action": "^disconnect$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87930", level: 3, parent: "87927", match: {"docker.Action": "^create$"}, pci_dss: ["10.2.7"], gdpr: [], hipaa: ["164.312.b"], nist_800_53: ["AU.14"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87931", level: 5, parent: "87927", match: {"docker.Action": "^destroy$"}, pci_dss: ["10.2.7", "11.5"], gdpr: [], hipaa: ["164.312.b", "164.312.c.1", "164.312.c.2"], nist_800_53: ["AU.14", "SI.7"], tsc: ["CC6.8", "CC7.2", "CC7.3", "PI1.4", "PI1.5", "CC6.1"], mitre: ["T1070.004", "T1485"] },
  { id: "87932", level: 3, parent: "87900", match: {"docker.Action": "^pull$"}, pci_dss: ["10.2.7"], gdpr: [], hipaa: ["164.312.b"], nist_800_53: ["AU.14"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87933", level: 3, parent: "87900", match: {"docker.Action": "^load$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87934", level: 3, parent: "87900", match: {"docker.Action": "^save$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87935", level: 3, parent: "87900", match: {"docker.Action": "^rename$"}, pci_dss: ["10.2.5"], gdpr: [], hipaa: ["164.312.b"], nist_800_53: ["AU.14", "AC.7"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87936", level: 0, parent: "87900", match: {"docker.Type": "^config$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87937", level: 3, parent: "87936", match: {"docker.Action": "^create$"}, pci_dss: ["10.2.7"], gdpr: [], hipaa: ["164.312.b"], nist_800_53: ["AU.14"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87938", level: 5, parent: "87936", match: {"docker.Action": "^remove$"}, pci_dss: ["10.2.7", "11.5"], gdpr: [], hipaa: ["164.312.b", "164.312.c.1", "164.312.c.2"], nist_800_53: ["AU.14", "SI.7"], tsc: ["CC6.8", "CC7.2", "CC7.3", "PI1.4", "PI1.5", "CC6.1"], mitre: [] },
  { id: "87939", level: 0, parent: "87900", match: {"docker.Type": "^secret$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87940", level: 3, parent: "87939", match: {"docker.Action": "^create$"}, pci_dss: ["10.2.7"], gdpr: [], hipaa: ["164.312.b"], nist_800_53: ["AU.14"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87941", level: 3, parent: "87939", match: {"docker.Action": "^remove$"}, pci_dss: ["10.2.7", "11.5"], gdpr: [], hipaa: ["164.312.b", "164.312.c.1", "164.312.c.2"], nist_800_53: ["AU.14", "SI.7"], tsc: ["CC6.8", "CC7.2", "CC7.3", "PI1.4", "PI1.5", "CC6.1"], mitre: ["T1070.004", "T1485"] },
  { id: "87942", level: 0, parent: "87900", match: {"docker.Type": "^plugin$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87943", level: 3, parent: "87942", match: {"docker.Action": "^pull$"}, pci_dss: ["10.2.7"], gdpr: [], hipaa: ["164.312.b"], nist_800_53: ["AU.14"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87944", level: 3, parent: "87942", match: {"docker.Action": "^enable$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87945", level: 3, parent: "87942", match: {"docker.Action": "^disable$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87946", level: 3, parent: "87942", match: {"docker.Action": "^remove$"}, pci_dss: ["10.2.7", "11.5"], gdpr: [], hipaa: ["164.312.b", "164.312.c.1", "164.312.c.2"], nist_800_53: ["AU.14", "SI.7"], tsc: ["CC6.8", "CC7.2", "CC7.3", "PI1.4", "PI1.5", "CC6.1"], mitre: ["T1070.004", "T1485"] },
  { id: "87947", level: 3, parent: "87942", match: {"docker.Action": "^create$"}, pci_dss: ["10.2.7"], gdpr: [], hipaa: ["164.312.b"], nist_800_53: ["AU.14"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87948", level: 0, parent: "87900", match: {"docker.Type": "^node$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87949", level: 3, parent: "87948", match: {"docker.Action": "^create$"}, pci_dss: ["10.2.7"], gdpr: [], hipaa: ["164.312.b"], nist_800_53: ["AU.14"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87950", level: 3, parent: "87948", match: {"docker.Action": "^update$"}, pci_dss: ["11.5"], gdpr: [], hipaa: ["164.312.c.1", "164.312.c.2"], nist_800_53: ["SI.7"], tsc: ["PI1.4", "PI1.5", "CC6.1", "CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87951", level: 3, parent: "87950", match: {"docker.Actor.Attributes.role.new": "\\.+", "docker.Actor.Attributes.role.old": "\\.+"}, pci_dss: ["10.2.5"], gdpr: [], hipaa: ["164.312.b"], nist_800_53: ["AU.14", "AC.7"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87952", level: 3, parent: "87900", match: {"docker.Action": "^resize$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87953", level: 3, parent: "87900", match: {"docker.Action": "^checkpoint$"}, pci_dss: ["10.2.7"], gdpr: [], hipaa: ["164.312.b"], nist_800_53: ["AU.14"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87954", level: 0, parent: "87900", match: {"docker.Type": "^service$"}, pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: [] },
  { id: "87955", level: 3, parent: "87954", match: {"docker.Action": "^create$"}, pci_dss: ["10.2.7"], gdpr: [], hipaa: ["164.312.b"], nist_800_53: ["AU.14"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87956", level: 3, parent: "87954", match: {"docker.Action": "^update$"}, pci_dss: ["11.5"], gdpr: [], hipaa: ["164.312.c.1", "164.312.c.2"], nist_800_53: ["SI.7"], tsc: ["PI1.4", "PI1.5", "CC6.1", "CC6.8", "CC7.2", "CC7.3"], mitre: [] },
  { id: "87957", level: 5, parent: "87954", match: {"docker.Action": "^remove$"}, pci_dss: ["10.2.7", "11.5"], gdpr: [], hipaa: ["164.312.b", "164.312.c.1", "164.312.c.2"], nist_800_53: ["AU.14", "SI.7"], tsc: ["CC6.8", "CC7.2", "CC7.3", "PI1.4", "PI1.5", "CC6.1"], mitre: ["T1070.004", "T1485"] },
  { id: "87958", level: 3, parent: "87900", match: {"docker.Action": "^push$"}, pci_dss: ["10.2.7"], gdpr: [], hipaa: ["164.312.b"], nist_800_53: ["AU.14"], tsc: ["CC6.8", "CC7.2", "CC7.3"], mitre: [] },
];

const WAZUH_CASES: { name: string; log: string; rule: string; level: number }[] = [
  { name: "Docker container created", log: "{\"integration\": \"docker\", \"docker\": {\"Type\": \"container\", \"Action\": \"create\", \"Actor\": {\"ID\": \"acedfgh123456789abcdef\", \"Attributes\": {\"image\": \"nginx:latest\", \"maintainer\": \"NGINX Docker Maintainers <docker-maint@nginx.com>\", \"name\": \"wazuh-test-container\"}}, \"scope\": \"local\", \"time\": 1766395777, \"timeNano\": 1766395777009588769}}", rule: "87901", level: 3 },
  { name: "Docker container started", log: "{\"integration\": \"docker\", \"docker\": {\"Type\": \"container\", \"Action\": \"start\", \"Actor\": {\"ID\": \"acedfgh123456789abcdef\", \"Attributes\": {\"image\": \"nginx:latest\", \"maintainer\": \"NGINX Docker Maintainers <docker-maint@nginx.com>\", \"name\": \"wazuh-test-container\"}}, \"scope\": \"local\", \"time\": 1766395777, \"timeNano\": 1766395777009588769}}", rule: "87903", level: 3 },
  { name: "Docker container stopped", log: "{\"integration\": \"docker\", \"docker\": {\"Type\": \"container\", \"Action\": \"stop\", \"Actor\": {\"ID\": \"acedfgh123456789abcdef\", \"Attributes\": {\"image\": \"nginx:latest\", \"maintainer\": \"NGINX Docker Maintainers <docker-maint@nginx.com>\", \"name\": \"wazuh-test-container\"}}, \"scope\": \"local\", \"time\": 1766397293, \"timeNano\": 1766397293655089317}}", rule: "87904", level: 3 },
  { name: "Docker container die", log: "{\"integration\": \"docker\", \"docker\": {\"Type\": \"container\", \"Action\": \"die\", \"Actor\": {\"ID\": \"acedfgh123456789abcdef\", \"Attributes\": {\"execDuration\": \"20\", \"exitCode\": \"0\", \"image\": \"nginx:latest\", \"maintainer\": \"NGINX Docker Maintainers <docker-maint@nginx.com>\", \"name\": \"wazuh-test-container\"}}, \"scope\": \"local\", \"time\": 1766397293, \"timeNano\": 1766397293673509492}}", rule: "87924", level: 7 },
  { name: "Docker container destroyed", log: "{\"integration\": \"docker\", \"docker\": {\"Type\": \"container\", \"Action\": \"destroy\", \"Actor\": {\"ID\": \"acedfgh123456789abcdef\", \"Attributes\": {\"image\": \"nginx:latest\", \"name\": \"wazuh-test-container\"}}, \"scope\": \"local\", \"time\": 1766397300, \"timeNano\": 1766397300123456789}}", rule: "87902", level: 5 },
  { name: "Docker container deleted", log: "{\"integration\": \"docker\", \"docker\": {\"Type\": \"container\", \"Action\": \"delete\", \"Actor\": {\"ID\": \"acedfgh123456789abcdef\", \"Attributes\": {\"image\": \"nginx:latest\", \"name\": \"wazuh-test-container\"}}, \"scope\": \"local\", \"time\": 1766397310, \"timeNano\": 1766397310987654321}}", rule: "87921", level: 7 },
  { name: "Docker shell session started", log: "{\"integration\": \"docker\", \"docker\": {\"Type\": \"container\", \"Action\": \"exec_start: bash \", \"Actor\": {\"ID\": \"acedfgh123456789abcdef\", \"Attributes\": {\"image\": \"nginx:latest\", \"name\": \"wazuh-test-container\"}}, \"scope\": \"local\", \"time\": 1766395800, \"timeNano\": 1766395800111222333}}", rule: "87908", level: 5 },
  { name: "Docker volume created", log: "{\"integration\": \"docker\", \"docker\": {\"Type\": \"volume\", \"Action\": \"create\", \"Actor\": {\"ID\": \"volumeacedfgh123\", \"Attributes\": {\"driver\": \"local\", \"name\": \"wazuh-volume\"}}, \"scope\": \"local\", \"time\": 1766395900, \"timeNano\": 1766395900444555666}}", rule: "87913", level: 3 },
  { name: "Docker volume destroyed", log: "{\"integration\": \"docker\", \"docker\": {\"Type\": \"volume\", \"Action\": \"destroy\", \"Actor\": {\"ID\": \"volumeacedfgh123\", \"Attributes\": {\"driver\": \"local\", \"name\": \"wazuh-volume\"}}, \"scope\": \"local\", \"time\": 1766396000, \"timeNano\": 1766396000777888999}}", rule: "87914", level: 7 },
  { name: "Docker network created", log: "{\"integration\": \"docker\", \"docker\": {\"Type\": \"network\", \"Action\": \"create\", \"Actor\": {\"ID\": \"networkacedfgh456\", \"Attributes\": {\"name\": \"wazuh-network\", \"type\": \"bridge\"}}, \"scope\": \"local\", \"time\": 1766396100, \"timeNano\": 1766396100111222333}}", rule: "87930", level: 3 },
  { name: "Docker network destroyed", log: "{\"integration\": \"docker\", \"docker\": {\"Type\": \"network\", \"Action\": \"destroy\", \"Actor\": {\"ID\": \"networkacedfgh456\", \"Attributes\": {\"name\": \"wazuh-network\", \"type\": \"bridge\"}}, \"scope\": \"local\", \"time\": 1766396200, \"timeNano\": 1766396200444555666}}", rule: "87931", level: 5 },
  { name: "Docker image pulled", log: "{\"integration\": \"docker\", \"docker\": {\"Type\": \"image\", \"Action\": \"pull\", \"Actor\": {\"ID\": \"imageacedfgh789\", \"Attributes\": {\"name\": \"nginx:latest\"}}, \"scope\": \"local\", \"time\": 1766396300, \"timeNano\": 1766396300777888999}}", rule: "87932", level: 3 },
  { name: "Docker container paused", log: "{\"integration\": \"docker\", \"docker\": {\"Type\": \"container\", \"Action\": \"pause\", \"Actor\": {\"ID\": \"acedfgh123456789abcdef\", \"Attributes\": {\"image\": \"nginx:latest\", \"name\": \"wazuh-test-container\"}}, \"scope\": \"local\", \"time\": 1766396400, \"timeNano\": 1766396400123456789}}", rule: "87905", level: 3 },
  { name: "Docker container unpaused", log: "{\"integration\": \"docker\", \"docker\": {\"Type\": \"container\", \"Action\": \"unpause\", \"Actor\": {\"ID\": \"acedfgh123456789abcdef\", \"Attributes\": {\"image\": \"nginx:latest\", \"name\": \"wazuh-test-container\"}}, \"scope\": \"local\", \"time\": 1766396500, \"timeNano\": 1766396500987654321}}", rule: "87906", level: 3 },
];

const TECHNIQUES: Record<string, { technique: string; tactic: string }> = {
  "T1561.001": { technique: "Disk Content Wipe", tactic: "Impact" },
  "T1070.004": { technique: "File Deletion", tactic: "Defense Evasion" },
  T1485: { technique: "Data Destruction", tactic: "Impact" },
};

const ctx = testAlertContext({ version: "0", now: new Date("2026-01-01T00:00:00Z") });
const ruleset = loadRuleset({ shippedDir: SHIPPED_RULES_DIR });
const byId = new Map(WAZUH_RULES.map((r) => [r.id, r]));
const isWazuhId = (id: string) => Number(id) >= 87900 && Number(id) <= 87999;

/** The Type an event needs to reach a rule: the docker.Type of the level-0 group above it, else a container. */
function typeFor(rule: WazuhRule): string {
  for (let r: WazuhRule | undefined = rule; r; r = r.parent ? byId.get(r.parent) : undefined) {
    const type = r.match["docker.Type"];
    if (type) return type.replace(/^\^|\$$/g, "");
  }
  return "container";
}

/** Actions that Wazuh's docker.Action pattern of a rule (or of its parent, for 87951) matches: each alternative of ^a$|^b$ as text. */
function actionsFor(rule: WazuhRule): string[] {
  const pattern = rule.match["docker.Action"] ?? (rule.parent ? byId.get(rule.parent)!.match["docker.Action"] : undefined);
  assert.ok(pattern, `rule ${rule.id} matches on docker.Action or its parent does`);
  return pattern.split("|").map((alt) => (alt === "^exec_start: " ? "exec_start: ls -l /tmp" : alt.replace(/^\^/, "").replace(/\$$/, "")));
}

/** Attributes for the rule's other fields (87951: role.new and role.old, OS_Regex \.+ = any text). */
function attributesFor(rule: WazuhRule): Record<string, string> {
  const attributes: Record<string, string> = { name: "wazuh-test", image: "nginx:1.27" };
  for (const field of Object.keys(rule.match)) {
    if (field.startsWith("docker.Actor.Attributes.")) attributes[field.slice("docker.Actor.Attributes.".length)] = field.endsWith(".new") ? "manager" : "worker";
  }
  return attributes;
}

const FORMATS = [
  ["old", "the old engine format (status, id, from)"],
  ["api152", "API >= 1.52 (no status, id, from)"],
] as const;

function expectWazuhAlert(alerts: Alert[], rule: WazuhRule): void {
  const wazuh = alerts.filter((a) => isWazuhId(a.rule.id));
  assert.deepEqual(wazuh.map((a) => a.rule.id), [rule.id], "exactly one alert from Wazuh's range, Wazuh's rule");
  const a = wazuh[0]!;
  assert.equal(a.rule.level, rule.level);
  assert.deepEqual(
    { pci_dss: a.rule.pci_dss, gdpr: a.rule.gdpr, hipaa: a.rule.hipaa, nist_800_53: a.rule.nist_800_53, tsc: a.rule.tsc },
    { pci_dss: rule.pci_dss, gdpr: rule.gdpr, hipaa: rule.hipaa, nist_800_53: rule.nist_800_53, tsc: rule.tsc },
  );
  assert.deepEqual(a.rule.mitre.id, rule.mitre);
  assert.deepEqual(a.rule.mitre.technique, rule.mitre.map((t) => TECHNIQUES[t]!.technique));
  assert.deepEqual(a.rule.mitre.tactic, [...new Set(rule.mitre.map((t) => TECHNIQUES[t]!.tactic))]);
  assert.ok(alerts.every((x) => !isWazuhId(x.rule.id) || x === a), "dockwatch's own alerts come from its own range");
}

describe("Wazuh 4.14 parity: every rule of 0560-docker_integration_rules.xml", () => {
  it("the shipped ruleset has Wazuh's 59 rules, with Wazuh's parents and levels, and no other id in 87900-87999", () => {
    const ours = [...ruleset.rules.values()].filter((r) => isWazuhId(r.id));
    assert.deepEqual(ours.map((r) => r.id).sort(), WAZUH_RULES.map((r) => r.id).sort());
    for (const w of WAZUH_RULES) {
      const r = ruleset.rules.get(w.id)!;
      assert.deepEqual([r.id, r.level, r.parents], [w.id, w.level, w.parent ? [w.parent] : []]);
    }
  });

  for (const rule of WAZUH_RULES) {
    for (const [format, label] of FORMATS) {
      if (rule.level === 0) {
        it(`${rule.id} (level 0, a group) in ${label}: no Wazuh alert; dockwatch's catch-all names the event`, async () => {
          const sketch: EventSketch = { type: rule.id === "87900" ? "swarmkit" : typeFor(rule), action: "prune", attributes: { name: "obj" }, format };
          const event = decodedEvent(sketch);
          assert.ok(matchEvent(event, ruleset).chain.some((r) => r.id === rule.id), `the chain passes ${rule.id}`);
          const alerts = await evaluate(event, ruleset, { minLevel: 0, ctx });
          assert.deepEqual(alerts.map((a) => [a.rule.id, a.rule.level, a.rule.description]), [["130999", 3, `Docker: unknown event ${sketch.type} prune`]]);
        });
        continue;
      }
      for (const action of actionsFor(rule)) {
        it(`${rule.id} (level ${rule.level}) for ${typeFor(rule)} "${action}" in ${label}`, async () => {
          const event = decodedEvent({ type: typeFor(rule), action, attributes: attributesFor(rule), format });
          assert.equal(event.docker.status, action, "the decoder fills docker.status from Action");
          expectWazuhAlert(await evaluate(event, ruleset, { minLevel: 0, ctx }), rule);
        });
      }
    }
  }
});

describe("Wazuh 4.14's own Docker test cases (ruleset/testing/tests/docker_integration.ini)", () => {
  const identity = {
    agent: { id: "001", name: "agent001", ip: "192.168.122.19" },
    engine: { id: "E", hostname: "h", version: "29.0.0", apiVersion: "1.52" },
  };
  for (const c of WAZUH_CASES) {
    it(`${c.name} -> ${c.rule} (level ${c.level})`, async () => {
      const alerts = await evaluate(toDecodedEvent(c.log, identity), ruleset, { minLevel: 0, ctx });
      expectWazuhAlert(alerts, { ...byId.get(c.rule)!, level: c.level });
    });
  }
});
