/**
 * The child process of the crash tests, and the parent's side of them.
 *
 * As a program (`deno run -A tests/system/crash_writer.ts MODE DIR ...` or
 * `bun tests/system/crash_writer.ts MODE DIR ...`):
 *
 * - `write DIR POLICY EPOCH SEED`: opens the log in DIR with
 *   `{ kind: "always", action: POLICY }` and 64 KiB files, prints `ready`,
 *   then appends from many concurrent tasks to {@linkcode QUEUES} until it is
 *   killed, printing `a QUEUE START COUNT` once an append resolved, and
 *   `t QUEUE POSITION` before it truncates; meanwhile consumer
 *   {@linkcode CONSUMER} of the first queue reads it (following its tail)
 *   and acknowledges some of the records it reads, printing
 *   `K 0 POSITION` before each ack and `k 0 POSITION` once it resolved.
 * - `try-open DIR`: tries to open the log and prints `opened`, or the name of
 *   the error open raised.
 * - `hold DIR`: opens the log, prints `ready` and keeps it open until killed.
 *
 * As a module: {@linkcode runKillIterations}, the loop that spawns writers,
 * kills them with SIGKILL and checks the log; used by
 * `crash_kill_test.ts`, `lock_process_test.ts` and `soak.ts`. Its name does
 * not end in `_test` so that neither `deno test` nor `bun test` takes it for
 * a test.
 *
 * @module
 */

import process from "node:process";
import { spawn } from "node:child_process";
import { existsSync, writeSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { MultiRecordLog } from "../../mod.ts";
import { mulberry32 } from "../../src/testing/mulberry32.ts";
import { tick } from "../support/waiting.ts";
import { xorshiftFill } from "../support/random_bytes.ts";

/** The queues the writer appends to (created by the parent). */
export const QUEUES: readonly string[] = ["q0", "q1", "q2"];

/** The consumer of `QUEUES[0]` that the writer acks through (created by the parent). */
export const CONSUMER = "k";

/** Log file size used by the writer: small, so that files roll and get deleted. */
export const SEGMENT_BYTES = 65_536;

/** A runtime to run the writer with. */
export type Runtime = "deno" | "bun" | "node";

const REPO = new URL("../../", import.meta.url).pathname;
const SCRIPT = new URL("./crash_writer.ts", import.meta.url).pathname;

/** The runtime this code runs in. */
export function currentRuntime(): Runtime {
  if ("Deno" in globalThis) return "deno";
  return "Bun" in globalThis ? "bun" : "node";
}

/** The other runtime. */
export function otherRuntime(): Runtime {
  return currentRuntime() === "deno" ? "bun" : "deno";
}

/**
 * The start of a command line that runs a script under `runtime` with all
 * permissions: the running executable for the current runtime,
 * `node_modules/.bin/*` for the other. (Under Node, the TypeScript loader
 * comes with `NODE_OPTIONS`, set by `scripts/test_node.ts`.)
 */
export function runtimeCommand(runtime: Runtime): string[] {
  const exe = runtime === currentRuntime()
    ? process.execPath
    : `${REPO}node_modules/.bin/${runtime}`;
  return runtime === "deno" ? [exe, "run", "-A"] : [exe];
}

/**
 * Why `runtime` cannot be spawned here, or `undefined` if it can. The running
 * runtime always can; the other one is run from `node_modules/.bin/`, which
 * holds both once `npm ci` ran (as in CI), and may be missing otherwise:
 * tests that need it then skip, saying so.
 */
export function missingRuntime(runtime: Runtime): string | undefined {
  if (runtime === currentRuntime()) return undefined;
  const exe = `${REPO}node_modules/.bin/${runtime}`;
  if (existsSync(exe)) return undefined;
  return `${runtime} is not installed at ${exe} (npm ci installs it)`;
}

/** The command line that runs this script under `runtime`, quietly. */
export function writerCommand(runtime: Runtime, args: string[]): string[] {
  const quiet = runtime === "deno" ? ["--quiet"] : [];
  return [...runtimeCommand(runtime), ...quiet, SCRIPT, ...args];
}

function hash32(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ c;
  h = Math.imul(h ^ (h >>> 16), 0x27d4eb2d);
  return (h ^ (h >>> 15)) >>> 0;
}

/**
 * The payload written at `position` of queue `queue` (an index in
 * {@linkcode QUEUES}) by writer `epoch`: the queue, position and epoch, then
 * pseudo-random bytes; mostly small, sometimes 20-50 KB (several frames).
 */
export function payloadFor(
  queue: number,
  position: number,
  epoch: number,
): Uint8Array {
  const seed = hash32(queue, position, epoch);
  const length = 9 + (seed % 100 < 8 ? 20_000 + seed % 30_000 : seed % 1_500);
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  bytes[0] = queue;
  view.setUint32(1, position, true);
  view.setUint32(5, epoch, true);
  xorshiftFill(bytes.subarray(9), seed | 1);
  return bytes;
}

/**
 * The epoch that wrote `payload` at `position` of `queue`, or `undefined` if
 * the payload is not exactly one {@linkcode payloadFor} makes for them.
 */
export function epochOf(
  queue: number,
  position: number,
  payload: Uint8Array,
): number | undefined {
  if (payload.length < 9 || payload[0] !== queue) return undefined;
  const view = new DataView(
    payload.buffer,
    payload.byteOffset,
    payload.byteLength,
  );
  if (view.getUint32(1, true) !== position) return undefined;
  const epoch = view.getUint32(5, true);
  const expected = payloadFor(queue, position, epoch);
  if (expected.length !== payload.length) return undefined;
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] !== payload[i]) return undefined;
  }
  return epoch;
}

const encoder = new TextEncoder();

/** Writes a line to stdout at once (synchronously), so a kill loses none already printed. */
function say(line: string): void {
  const bytes = encoder.encode(`${line}\n`);
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(1, bytes.subarray(done));
    } catch (error) {
      if ((error as { code?: string }).code !== "EAGAIN") throw error;
    }
  }
}

async function write(
  dir: string,
  action: "fsync" | "flush",
  epoch: number,
  seed: number,
  hotBytes: number | undefined,
): Promise<void> {
  const log = await MultiRecordLog.open(dir, {
    persistPolicy: { kind: "always", action },
    segmentBytes: SEGMENT_BYTES,
    hotBytes,
    onWarning: () => {},
  });
  const random = mulberry32(seed);
  const next = QUEUES.map((q) => (log.lastPosition(q) ?? -1) + 1);
  const acked = next.map((n) => n - 1);
  say("ready");
  const task = async (): Promise<never> => {
    for (;;) {
      const q = Math.floor(random() * QUEUES.length);
      if (random() < 0.02 && acked[q] >= 0) {
        const position = acked[q] - Math.floor(random() * 30);
        if (position >= 0) {
          say(`t ${q} ${position}`);
          await log.truncate(QUEUES[q], position);
          continue;
        }
      }
      const count = random() < 0.2 ? 2 + Math.floor(random() * 3) : 1;
      const start = next[q];
      next[q] += count;
      const payloads = [];
      for (let i = 0; i < count; i++) {
        payloads.push(payloadFor(q, start + i, epoch));
      }
      await log.appendRecords(QUEUES[q], start, payloads);
      say(`a ${q} ${start} ${count}`);
      acked[q] = Math.max(acked[q], start + count - 1);
    }
  };
  await Promise.all([
    ...Array.from({ length: 12 }, task),
    consume(log, random, hotBytes !== undefined),
  ]);
}

/**
 * Reads `QUEUES[0]` through {@linkcode CONSUMER}, acking about half the
 * records; with `tell`, says each record read.
 */
async function consume(
  log: MultiRecordLog,
  random: () => number,
  tell: boolean,
): Promise<never> {
  const records = log.readable(QUEUES[0], { consumer: CONSUMER, follow: true });
  for await (const { position } of records) {
    if (tell) say(`r 0 ${position}`);
    if (random() < 0.5) continue;
    say(`K 0 ${position}`);
    await log.ack(QUEUES[0], CONSUMER, position);
    say(`k 0 ${position}`);
  }
  throw new Error("the consumer's stream ended");
}

async function tryOpen(dir: string): Promise<void> {
  try {
    const log = await MultiRecordLog.open(dir, { onWarning: () => {} });
    await log.close();
    say("opened");
  } catch (error) {
    say(error instanceof Error ? error.name : String(error));
  }
}

async function hold(dir: string): Promise<void> {
  await MultiRecordLog.open(dir, { onWarning: () => {} });
  say("ready");
  setInterval(() => {}, 60_000);
}

/** What {@linkcode runKillIterations} did. */
export interface KillStats {
  /** Writer processes killed. */
  kills: number;
  /** Records whose append the writers acknowledged before being killed. */
  recordsAcknowledged: number;
  /** Acks of the consumer that resolved before a kill. */
  acksResolved: number;
  /** Records the consumer read before a kill (counted with `hotBytes` only). */
  consumerReads: number;
  /** Acknowledged records checked present after a kill (with repeats). */
  recordsChecked: number;
  /** Records read back and checked after a kill (with repeats). */
  recordsRead: number;
  /** Kills per runtime of the writer. */
  killsByRuntime: Record<Runtime, number>;
}

/** Options of {@linkcode runKillIterations}. */
export interface KillOptions {
  /** The log directory (created if missing). */
  dir: string;
  /** Persist action of the writer. */
  action: "fsync" | "flush";
  /** Seed of the choices made (runtimes, kill delays, writer seeds). */
  seed: number;
  /** Stop after this many kills... */
  iterations?: number;
  /** ...or at this `Date.now()`. */
  deadline?: number;
  /** Which runtime writes in iteration `i` (default: the other one every 4th). */
  runtimeOf?: (i: number) => Runtime;
  /** The `hotBytes` open option of the writer and of the checks. */
  hotBytes?: number;
}

/** A child process running this script, from {@linkcode spawnWriter}. */
export interface WriterProcess {
  /** Settles when the process ended and its output was read. */
  exit: Promise<{ code: number | null; signal: string | null }>;
  /** The lines it printed so far. */
  lines: string[];
  /** What it printed on stderr so far. */
  stderr: () => string;
  /** Kills it with SIGKILL. */
  kill: () => void;
  /** Resolves with true once a line satisfying `match` was printed, false if it ended first. */
  waitFor: (match: (line: string) => boolean) => Promise<boolean>;
}

/** Spawns this script under `runtime` with `args`, from the repository root. */
export function spawnWriter(runtime: Runtime, args: string[]): WriterProcess {
  const [exe, ...rest] = writerCommand(runtime, args);
  const child = spawn(exe, rest, {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters: {
    match: (l: string) => boolean;
    done: (ok: boolean) => void;
  }[] = [];
  let partial = "";
  let stderr = "";
  let ended = false;
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i].match(line)) waiters.splice(i, 1)[0].done(true);
      }
    }
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exit = new Promise<{ code: number | null; signal: string | null }>(
    (resolve) => {
      child.on("close", (code, signal) => {
        ended = true;
        for (const w of waiters.splice(0)) w.done(false);
        resolve({ code, signal });
      });
    },
  );
  return {
    exit,
    lines,
    stderr: () => stderr,
    kill: () => {
      child.kill("SIGKILL");
    },
    waitFor: (match) => {
      if (lines.some(match)) return Promise.resolve(true);
      if (ended) return Promise.resolve(false);
      return new Promise((done) => waiters.push({ match, done }));
    },
  };
}

/** Whether `line` says that a consumer's ack resolved (`k 0 POSITION`). */
function isResolvedAck(line: string): boolean {
  return line.startsWith("k ");
}

/** Waits for `promise`, for 10 s at most. */
async function waitOrTimeout(promise: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    promise,
    new Promise((resolve) => timer = setTimeout(resolve, 10_000)),
  ]);
  clearTimeout(timer);
}

/** Kill statistics of no kill, to add to. */
export function emptyKillStats(): KillStats {
  return {
    kills: 0,
    recordsAcknowledged: 0,
    acksResolved: 0,
    consumerReads: 0,
    recordsChecked: 0,
    recordsRead: 0,
    killsByRuntime: { deno: 0, bun: 0, node: 0 },
  };
}

/**
 * Spawns writers on `options.dir` and kills them with SIGKILL at random
 * moments, then checks after each kill that every acknowledged record is in
 * the log with its exact payload, every record read is one a writer made for
 * that position, positions are contiguous, and the log takes a new append.
 * Throws an `Error` describing the first violation.
 */
export async function runKillIterations(
  options: KillOptions,
): Promise<KillStats> {
  const { dir, action, hotBytes } = options;
  const random = mulberry32(options.seed);
  const runtimeOf = options.runtimeOf ??
    ((i: number) => (i % 4 === 3 ? otherRuntime() : currentRuntime()));
  const stats = emptyKillStats();
  // What must be in the log: queue -> position -> epoch of the acknowledged write.
  const acked = QUEUES.map(() => new Map<number, number>());
  // Records at or below a truncation that may have happened may be gone.
  const truncatedUpTo = QUEUES.map(() => -1);
  // The consumer's acks: the highest that resolved, and the highest made.
  const consumerAcks = { resolved: -1, made: -1 };
  let epoch = 0;
  {
    const log = await MultiRecordLog.open(dir, {
      segmentBytes: SEGMENT_BYTES,
      hotBytes,
    });
    for (const queue of QUEUES) {
      if (!log.queueExists(queue)) await log.createQueue(queue);
    }
    if (log.listConsumers(QUEUES[0]).length === 0) {
      await log.createConsumer(QUEUES[0], CONSUMER);
    }
    consumerAcks.made = log.listConsumers(QUEUES[0])[0].acked ?? -1;
    consumerAcks.resolved = consumerAcks.made;
    await verifyAndAppend(log, ++epoch, "setup");
  }

  /**
   * The consumer's ack after a kill: never behind one that resolved, never
   * ahead of one made. Records after it may not be gone (truncatedUpTo).
   */
  function checkConsumer(log: MultiRecordLog, label: string): void {
    const [consumer] = log.listConsumers(QUEUES[0]);
    const acked = consumer?.acked ?? -1;
    if (consumer?.name !== CONSUMER) {
      throw new Error(`${label}: consumer ${CONSUMER} is gone`);
    }
    if (acked < consumerAcks.resolved || acked > consumerAcks.made) {
      throw new Error(
        `${label}: consumer acked ${acked}; acks resolved up to ${consumerAcks.resolved}, made up to ${consumerAcks.made}`,
      );
    }
    truncatedUpTo[0] = Math.max(truncatedUpTo[0], acked);
  }

  async function verifyAndAppend(
    log: MultiRecordLog,
    parentEpoch: number,
    label: string,
  ): Promise<void> {
    try {
      checkConsumer(log, label);
      for (let q = 0; q < QUEUES.length; q++) {
        const queue = QUEUES[q];
        if (!log.queueExists(queue)) {
          throw new Error(`${label}: queue ${queue} is gone`);
        }
        let previous: number | undefined;
        const seen = new Map<number, number>();
        for (const { position, payload } of log.range(queue)) {
          stats.recordsRead++;
          if (previous === undefined) {
            if (position > truncatedUpTo[q] + 1) {
              throw new Error(
                `${label}: ${queue} starts at ${position}, after the last truncation ${
                  truncatedUpTo[q]
                } + 1`,
              );
            }
          } else if (position !== previous + 1) {
            throw new Error(
              `${label}: ${queue} has a gap: ${previous} then ${position}`,
            );
          }
          previous = position;
          const writer = epochOf(q, position, payload);
          if (writer === undefined) {
            throw new Error(
              `${label}: ${queue}@${position} holds a payload no writer made`,
            );
          }
          seen.set(position, writer);
        }
        for (const [position, writer] of acked[q]) {
          if (position <= truncatedUpTo[q]) {
            acked[q].delete(position);
            continue;
          }
          stats.recordsChecked++;
          const found = seen.get(position);
          if (found !== writer) {
            throw new Error(
              `${label}: acknowledged ${queue}@${position} (epoch ${writer}) ${
                found === undefined ? "is missing" : `holds epoch ${found}`
              }; queue holds ${seen.size} records up to ${previous}`,
            );
          }
        }
        const last = log.lastPosition(queue);
        if (previous !== undefined && last !== previous) {
          throw new Error(
            `${label}: ${queue} lastPosition ${last}, last record ${previous}`,
          );
        }
        // The log takes a new append after reopening.
        const position = (last ?? -1) + 1;
        await log.appendRecord(
          queue,
          position,
          payloadFor(q, position, parentEpoch),
        );
        acked[q].set(position, parentEpoch);
      }
    } finally {
      await log.close();
    }
  }

  for (let i = 0;; i++) {
    if (options.iterations !== undefined && i >= options.iterations) break;
    if (options.deadline !== undefined && Date.now() >= options.deadline) {
      break;
    }
    const runtime = runtimeOf(i);
    const writerEpoch = ++epoch;
    const label =
      `kill ${i} (${runtime} writer, ${action}, seed ${options.seed})`;
    const child = spawnWriter(runtime, [
      "write",
      dir,
      action,
      String(writerEpoch),
      String(Math.floor(random() * 2 ** 31)),
      ...(hotBytes === undefined ? [] : [String(hotBytes)]),
    ]);
    // Mostly kill 20-80 ms into the writing; sometimes at any moment from
    // the spawn, which may be during open and recovery.
    if (random() < 0.15) {
      await tick(random() * 120);
    } else {
      const ready = await child.waitFor((line) => line === "ready");
      if (!ready) {
        throw new Error(
          `${label}: the writer ended before it was ready: ${child.stderr()}`,
        );
      }
      // One kill in three waits for the consumer's first ack to resolve, so
      // that acks are checked after kills however slow the machine is.
      if (i % 3 === 0) await waitOrTimeout(child.waitFor(isResolvedAck));
      await tick(20 + random() * 60);
    }
    child.kill();
    const { signal, code } = await child.exit;
    if (signal !== "SIGKILL") {
      throw new Error(
        `${label}: the writer exited by itself (code ${code}): ${child.stderr()}`,
      );
    }
    stats.kills++;
    stats.killsByRuntime[runtime]++;
    for (const line of child.lines) {
      const [kind, a, b, c] = line.split(" ");
      const q = Number(a);
      if (kind === "a") {
        for (let p = Number(b); p < Number(b) + Number(c); p++) {
          acked[q].set(p, writerEpoch);
          stats.recordsAcknowledged++;
        }
      } else if (kind === "t") {
        truncatedUpTo[q] = Math.max(truncatedUpTo[q], Number(b));
      } else if (kind === "K") {
        consumerAcks.made = Math.max(consumerAcks.made, Number(b));
      } else if (kind === "r") {
        stats.consumerReads++;
      } else if (kind === "k") {
        consumerAcks.resolved = Math.max(consumerAcks.resolved, Number(b));
        stats.acksResolved++;
      }
    }
    const log = await MultiRecordLog.open(dir, {
      segmentBytes: SEGMENT_BYTES,
      hotBytes,
      onWarning: () => {},
    });
    await verifyAndAppend(log, ++epoch, label);
  }
  return stats;
}

// Node 20 has no import.meta.main: there, the script run is process.argv[1].
const isMain = import.meta.main ??
  import.meta.url === pathToFileURL(process.argv[1] ?? "").href;
if (isMain) {
  const [mode, dir, ...args] = process.argv.slice(2);
  if (mode === "write") {
    await write(
      dir,
      args[0] === "flush" ? "flush" : "fsync",
      Number(args[1]),
      Number(args[2]),
      args[3] === undefined ? undefined : Number(args[3]),
    );
  } else if (mode === "try-open") {
    await tryOpen(dir);
  } else if (mode === "hold") {
    await hold(dir);
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}
