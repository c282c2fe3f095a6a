/**
 * Temp directories of the test suite, removed after use.
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";

/** A fresh temp directory; remove it with {@linkcode removeDir}. */
export function tempDir(prefix = "mrecordlog-test-"): string {
  return mkdtempSync(`${tmpdir()}/${prefix}`);
}

/** Removes a directory and everything in it. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs `fn` with a fresh temp directory (named from `prefix`), removed afterwards. */
export async function withTempDir<T>(
  fn: (dir: string) => Promise<T> | T,
  prefix?: string,
): Promise<T> {
  const dir = tempDir(prefix);
  try {
    return await fn(dir);
  } finally {
    removeDir(dir);
  }
}
