import type { Component } from "./lifecycle.js";

/**
 * Runs `body` with `components` started, in order, and stops the started ones
 * in reverse when it ends, also when a start or the body fails: the lifecycle
 * of a one-shot program (dockwatch replay) that needs a service's clients but
 * not its health server or signal handling. A failure to stop is not allowed
 * to hide the body's own result or error.
 */
export async function withComponents<T>(components: Component[], body: () => Promise<T>): Promise<T> {
  const started: Component[] = [];
  try {
    for (const component of components) {
      await component.start();
      started.push(component);
    }
    return await body();
  } finally {
    for (const component of started.reverse()) await component.stop().catch(() => undefined);
  }
}
