import process from "node:process";
import { readFileSync } from "node:fs";
import { LogLockedError } from "../errors.ts";
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
 * Takes the lock of a log directory: a lock file naming this process (pid and
 * start time) and a random token, written aside and then linked into place,
 * so that it never exists half written and only one process can create it. A
 * lock whose process is gone (or whose pid was reused) is stale: it is
 * removed by whoever holds the takeover file (taken the same way, so one
 * taker at a time), after checking it is still the stale one. A lock held by
 * a live process, or by an open log of this process, raises
 * {@linkcode LogLockedError}.
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
  const heldTokens = tokens;
  const draft = `${path}.${owner.token}`;
  try {
    const file = adapter.open(draft, { create: true });
    try {
      writeFully(file, new TextEncoder().encode(JSON.stringify(owner)), 0);
    } finally {
      file.close();
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      if (tryLink(adapter, draft, path)) {
        heldTokens.add(owner.token);
        return {
          release() {
            heldTokens.delete(owner.token);
            if (readOwner(adapter, path)?.token === owner.token) {
              adapter.remove(path);
            }
          },
        };
      }
      const current = readOwner(adapter, path);
      const live = current && isLive(current, heldTokens);
      if (current && live !== false) {
        throw new LogLockedError(dir, holderText(current, live, path));
      }
      removeStale(adapter, path, current, draft, heldTokens);
    }
    throw new LogLockedError(dir, "the lock file keeps reappearing");
  } finally {
    adapter.remove(draft);
  }
}

/**
 * Removes the stale lock `current`, if this process wins the takeover file
 * and the lock is still that one. A stale takeover file (its taker died) is
 * removed for the next attempt.
 */
function removeStale(
  adapter: FileAdapter,
  path: string,
  current: LockOwner | undefined,
  draft: string,
  tokens: Set<string>,
): void {
  const takeover = `${path}.takeover`;
  if (!tryLink(adapter, draft, takeover)) {
    const taker = readOwner(adapter, takeover);
    if (!taker || !isLive(taker, tokens)) adapter.remove(takeover);
    return;
  }
  try {
    if (readOwner(adapter, path)?.token === current?.token) {
      adapter.remove(path);
    }
  } finally {
    adapter.remove(takeover);
  }
}

/** Links `existing` to `path`; false if `path` exists. */
function tryLink(
  adapter: FileAdapter,
  existing: string,
  path: string,
): boolean {
  try {
    adapter.link(existing, path);
    return true;
  } catch (error) {
    if (errorCode(error) === "EEXIST" || isAlreadyExists(error)) return false;
    throw error;
  }
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

/**
 * Whether the lock's owner still runs: `true`, `false`, or `undefined` when
 * this process cannot tell (Deno without `--allow-run` and without read
 * access to `/proc`), which counts as live: a lock is never taken from a
 * process that may be running.
 */
function isLive(owner: LockOwner, tokens: Set<string>): boolean | undefined {
  if (owner.pid === process.pid) return tokens.has(owner.token);
  let signalled = false;
  try {
    process.kill(owner.pid, 0);
    signalled = true;
  } catch (error) {
    // Only "no such process" proves it is gone; EPERM, or Deno without
    // --allow-run, says nothing: fall back to /proc.
    if (errorCode(error) === "ESRCH") return false;
    if (errorCode(error) === "EPERM") signalled = true;
  }
  const start = processStart(owner.pid);
  if (owner.start !== "" && start !== "") return owner.start === start;
  if (signalled) return true;
  return canReadProc() ? start !== "" : undefined;
}

/** Whether `/proc` can be read here (Linux, and Deno's read permission). */
function canReadProc(): boolean {
  try {
    readFileSync("/proc/self/stat", "utf8");
    return true;
  } catch {
    return false;
  }
}

/** Who holds the lock, for {@linkcode LogLockedError}'s message. */
function holderText(
  owner: LockOwner,
  live: boolean | undefined,
  path: string,
): string {
  if (owner.pid === process.pid) return "in this process";
  if (live === true) return `by process ${owner.pid}`;
  return `by process ${owner.pid}, which this process cannot check is still running: under Deno, grant --allow-run (or -A) so that a lock left by a process that died is taken over, or remove ${path} if no process ${owner.pid} runs`;
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
