/**
 * Waiting in tests: for a condition, for a tick, or to see whether a promise
 * is still pending. Not timing assertions: tests use them to let timers and
 * promises of the code under test run.
 *
 * @module
 */

/**
 * Waits until `condition()` holds, checking every few milliseconds; returns
 * false if it still does not after `timeoutMs`.
 */
export async function waitFor(
  condition: () => boolean,
  timeoutMs = 5000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return true;
}

/**
 * Resolves after `ms` milliseconds; by default once the pending microtasks
 * and one macrotask ran.
 */
export function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether `promise` is still pending after {@linkcode tick}`(ms)`. */
export async function isPending(
  promise: Promise<unknown>,
  ms = 0,
): Promise<boolean> {
  const marker = Symbol("pending");
  const result = await Promise.race([
    promise.then(() => undefined, () => undefined),
    tick(ms).then(() => marker),
  ]);
  return result === marker;
}
