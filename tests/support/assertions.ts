/**
 * Assertions on argument errors: thrown (or rejected) with the right class and
 * a message naming the argument at fault.
 *
 * @module
 */

import assert from "node:assert/strict";

/** The error classes {@linkcode throwsNaming} and {@linkcode rejectsNaming} take. */
export type ArgumentErrorClass = typeof TypeError | typeof RangeError;

function namesIt(
  type: ArgumentErrorClass,
  name: string,
  context: string | undefined,
): (error: unknown) => true {
  return (error) => {
    assert.ok(
      error instanceof type,
      `${error} is not a ${type.name}${context ? ` (${context})` : ""}`,
    );
    assert.ok(
      (error as Error).message.includes(name),
      `"${(error as Error).message}" does not name ${name}`,
    );
    return true;
  };
}

/** Asserts `fn` throws `type` with a message naming `name`; `context` labels a failure. */
export function throwsNaming(
  fn: () => unknown,
  type: ArgumentErrorClass,
  name: string,
  context?: string,
): void {
  assert.throws(fn, namesIt(type, name, context));
}

/** Asserts the promise `fn` returns rejects with `type` and a message naming `name`. */
export async function rejectsNaming(
  fn: () => Promise<unknown>,
  type: ArgumentErrorClass,
  name: string,
): Promise<void> {
  await assert.rejects(fn, namesIt(type, name, undefined));
}
