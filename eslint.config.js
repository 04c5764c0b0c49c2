// One lint configuration for the whole monorepo: typescript-eslint's recommended
// rules plus a few that catch the mistakes that matter in stream processing
// (floating promises lose errors and offsets).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "infra/.local/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "test", "suite"] }] },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", setTimeout: "readonly", URL: "readonly" } },
  },
  {
    // Dependencies point down: a library never imports a program. What two
    // programs share (the Docker event model, the rule engine) is a library.
    files: ["libs/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@dockwatch/collector", "@dockwatch/decoder", "@dockwatch/rules", "@dockwatch/sink", "@dockwatch/cli", "**/services/**"],
              message: "libs/ must not import a service (services/*); move what is shared into a library",
            },
          ],
        },
      ],
    },
  },
  {
    // A program never imports another program: services share code only through libs/.
    files: ["services/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@dockwatch/collector", "@dockwatch/decoder", "@dockwatch/rules", "@dockwatch/sink", "@dockwatch/cli"],
              message: "a service must not import another service; share code through a library in libs/",
            },
          ],
        },
      ],
    },
  },
);
