export * from "./env.js";
export * from "./common.js";
export * from "./retry.js";
// Redaction of credentials (URL userinfo, secret settings) lives with the error taxonomy, which builds ConfigError messages.
export { isSecretName, redactCredentials, redactUrl, scrubSecrets } from "@dockwatch/errors";
