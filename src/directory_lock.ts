import process from "node:process";
import { readFileSync } from "node:fs";
import { LogLockedError } from "./errors.ts";
import {
  errorCode,
  type FileAdapter,
  readFully,
  writeFully,
} from "./file_adapter.ts";

/** The lock file's name inside a log directory (ignored by log readers). */
export const LOCK_FILE_NAME = "mrecordlog.lock";

/** A held directory lock. */
export interface DirectoryLock {
  /** Releases the lock. */
  release(): void;
}

interface LockOwner {
  pid: number;
  start: string;
  token: string;
}

// Tokens of the locks held in this process, per file system.
const held = new WeakMap<FileAdapter, Set<string>>();

/**
 * Takes the lock of a log directory: a lock file created exclusively, naming
 * this process (pid and start time) and a random token. A lock whose process
 * is gone (or whose pid was reused by another process) is stale and taken
 * over; a lock held by a live process, or by an open log of this process,
 * raises {@linkcode LogLockedError}.
 */
export function lockDirectory(
  adapter: FileAdapter,
  dir: string,
): DirectoryLock {
  const path = `${dir}/${LOCK_FILE_NAME}`;
  const owner: LockOwner = {
    pid: process.pid,
    start: processStart(process.pid),
    token: crypto.randomUUID(),
  };
  let tokens = held.get(adapter);
  if (!tokens) held.set(adapter, tokens = new Set());
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const file = adapter.open(path, { create: true });
      try {
        writeFully(file, new TextEncoder().encode(JSON.stringify(owner)), 0);
      } finally {
        file.close();
      }
      tokens.add(owner.token);
      const heldTokens = tokens;
      return {
        release() {
          heldTokens.delete(owner.token);
          adapter.remove(path);
        },
      };
    } catch (error) {
      if (errorCode(error) !== "EEXIST" && !isAlreadyExists(error)) throw error;
    }
    const current = readOwner(adapter, path);
    if (current && isLive(current, tokens)) {
      throw new LogLockedError(
        dir,
        current.pid === process.pid
          ? "in this process"
          : `by process ${current.pid}`,
      );
    }
    adapter.remove(path);
  }
  throw new LogLockedError(dir, "the lock file keeps reappearing");
}

function isAlreadyExists(error: unknown): boolean {
  return error instanceof Error && error.name === "AlreadyExists";
}

function readOwner(adapter: FileAdapter, path: string): LockOwner | undefined {
  try {
    const file = adapter.open(path, { create: false });
    try {
      const buffer = new Uint8Array(4096);
      const n = readFully(file, buffer, 0);
      const owner = JSON.parse(new TextDecoder().decode(buffer.subarray(0, n)));
      if (typeof owner?.pid === "number" && typeof owner?.token === "string") {
        return owner;
      }
    } finally {
      file.close();
    }
  } catch {
    // A missing, empty or garbled lock file is stale.
  }
  return undefined;
}

function isLive(owner: LockOwner, tokens: Set<string>): boolean {
  if (owner.pid === process.pid) return tokens.has(owner.token);
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // Only "no such process" proves it is gone; EPERM, or Deno without
    // --allow-run, says nothing: fall back to /proc.
    if (errorCode(error) === "ESRCH") return false;
  }
  return owner.start === "" || owner.start === processStart(owner.pid);
}

/** A process's start time from `/proc` (Linux), or "" where unknown. */
function processStart(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
  } catch {
    return "";
  }
}
