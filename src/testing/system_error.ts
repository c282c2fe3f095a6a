/**
 * Node-style system errors (`code`, `syscall`, `path`), as the memory file
 * adapter throws them so that tests see what a real disk would give.
 *
 * @module
 */

const DESCRIPTIONS: Record<string, string> = {
  EBADF: "bad file descriptor",
  EEXIST: "file already exists",
  EINVAL: "invalid argument",
  EIO: "i/o error",
  EISDIR: "illegal operation on a directory",
  ENOENT: "no such file or directory",
  ENOSPC: "no space left on device",
  ENOTDIR: "not a directory",
};

/** A Node-style system error: an `Error` with `code`, `syscall` and `path`. */
export function systemError(
  code: string,
  syscall: string,
  path: string,
  description: string = DESCRIPTIONS[code] ?? "injected fault",
): Error {
  const error = new Error(`${code}: ${description}, ${syscall} '${path}'`);
  return Object.assign(error, { code, syscall, path });
}

/** Throws `EINVAL` unless `offset` is a non-negative safe integer. */
export function checkOffset(
  offset: number,
  syscall: string,
  path: string,
): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw systemError("EINVAL", syscall, path);
  }
}
