// Model-based property test: random sequences of queue operations, reopens
// and (with always/fsync) power losses, checked after every step against a
// plain in-memory model of FORMAT.md's rules.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import process from "node:process";
import fc from "fast-check";
import {
  type FileAdapter,
  MemoryFileAdapter,
  MissingQueueError,
  MultiRecordLog,
  type PersistPolicy,
  PositionInPastError,
  QueueAlreadyExistsError,
} from "../../mod.ts";
import { defaultFileAdapter } from "../../src/storage/default_file_adapter.ts";
import { randomBytes } from "../support/random_bytes.ts";
import { removeDir, tempDir } from "../support/temp_dir.ts";
import { walNumbers } from "../support/log_state.ts";

const SEED = Number(process.env.MRECORDLOG_SEED ?? 20_240_611);
const QUEUES = ["a", "b", "c"];

type Op =
  | { op: "create"; q: string }
  | { op: "delete"; q: string }
  | { op: "append"; q: string; delta: number | undefined; sizes: number[] }
  | { op: "truncate"; q: string; delta: number }
  | { op: "reopen" }
  | { op: "crash" };

/** One queue of the model: its next position and its records (position, payload key). */
interface ModelQueue {
  next: number;
  records: [number, string][];
  bytes: number;
}

type Model = Map<string, ModelQueue>;

type Outcome =
  | { error: string }
  | { lastPosition: number | undefined }
  | { evicted: number }
  | { ok: true };

/** A payload's identity for comparisons: its length and CRC-32. */
function key(payload: Uint8Array): string {
  return `${payload.length}:${crc32(payload)}`;
}

/** Applies `op` to the model as FORMAT.md says; returns the expected outcome. */
function applyToModel(
  model: Model,
  op: Op,
  payloads: Uint8Array[],
  position?: number,
): Outcome {
  if (op.op === "reopen" || op.op === "crash") return { ok: true };
  const queue = model.get(op.q);
  if (op.op === "create") {
    if (queue) return { error: "QueueAlreadyExistsError" };
    model.set(op.q, { next: 0, records: [], bytes: 0 });
    return { ok: true };
  }
  if (!queue) return { error: "MissingQueueError" };
  if (op.op === "delete") {
    model.delete(op.q);
    return { ok: true };
  }
  if (op.op === "truncate") {
    const p = position!;
    const kept = queue.records.filter(([at]) => at > p);
    const evicted = queue.records.length - kept.length;
    for (const [at, k] of queue.records) {
      if (at <= p) queue.bytes -= Number(k.split(":")[0]);
    }
    queue.records = kept;
    if (p + 1 >= queue.next) queue.next = p + 1;
    return { evicted };
  }
  if (position !== undefined && position !== queue.next) {
    if (position + 1 === queue.next) return { lastPosition: undefined };
    if (position < queue.next) return { error: "PositionInPastError" };
  }
  if (payloads.length === 0) return { lastPosition: undefined };
  const start = position ?? queue.next;
  payloads.forEach((p, i) => queue.records.push([start + i, key(p)]));
  queue.bytes += payloads.reduce((n, p) => n + p.length, 0);
  queue.next = start + payloads.length;
  return { lastPosition: queue.next - 1 };
}

function errorName(error: unknown): string {
  if (
    error instanceof QueueAlreadyExistsError ||
    error instanceof MissingQueueError ||
    error instanceof PositionInPastError
  ) {
    return error.name;
  }
  throw error;
}

/** Runs `op` on the log; returns its outcome and bytes written. */
async function applyToLog(
  log: MultiRecordLog,
  op: Op,
  payloads: Uint8Array[],
  position?: number,
): Promise<{ outcome: Outcome; walBytesWritten: number }> {
  try {
    if (op.op === "create") {
      return { outcome: { ok: true }, ...await log.createQueue(op.q) };
    }
    if (op.op === "delete") {
      return { outcome: { ok: true }, ...await log.deleteQueue(op.q) };
    }
    if (op.op === "truncate") {
      const { evictedRecords, walBytesWritten } = await log.truncate(
        op.q,
        position!,
      );
      return { outcome: { evicted: evictedRecords }, walBytesWritten };
    }
    if (op.op === "append") {
      const { lastPosition, walBytesWritten } = await log.appendRecords(
        op.q,
        position,
        payloads,
      );
      return { outcome: { lastPosition }, walBytesWritten };
    }
  } catch (error) {
    return { outcome: { error: errorName(error) }, walBytesWritten: 0 };
  }
  throw new Error(`not a log operation: ${op.op}`);
}

/** Checks the log against the model, and the files on disk against the log. */
function checkState(
  log: MultiRecordLog,
  model: Model,
  fs: FileAdapter,
  dir: string,
  afterGc: boolean,
  label: string,
): void {
  assert.deepEqual(log.listQueues(), [...model.keys()].sort(), label);
  const summary = log.summary();
  let retained = 0;
  const firstFiles: number[] = [];
  for (const [name, queue] of model) {
    assert.equal(
      log.lastPosition(name),
      queue.next > 0 ? queue.next - 1 : undefined,
      `${label}: lastPosition(${name})`,
    );
    assert.deepEqual(
      [...log.range(name)].map((r) => [r.position, key(r.payload)]),
      queue.records,
      `${label}: range(${name})`,
    );
    const s = summary.queues[name];
    assert.equal(
      s.start,
      queue.records[0]?.[0] ?? queue.next,
      `${label}: start(${name})`,
    );
    assert.equal(s.recordCount, queue.records.length);
    assert.equal(s.payloadBytes, queue.bytes);
    retained += queue.bytes;
    if (s.firstFileNumber !== undefined) firstFiles.push(s.firstFileNumber);
  }
  assert.equal(log.retainedBytes, retained, label);
  const files = summary.files.map((f) => f.number);
  assert.deepEqual(walNumbers(fs, dir), files, `${label}: files on disk`);
  // Every file holding a record still in memory is kept...
  for (const n of firstFiles) {
    assert.ok(files[0] <= n, `${label}: file ${n} kept`);
  }
  // ...and, after garbage collection, every older one is gone.
  if (afterGc) {
    const oldestNeeded = Math.min(files[files.length - 1], ...firstFiles);
    assert.equal(files[0], oldestNeeded, `${label}: files ${files} after GC`);
  }
}

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("create" as const),
      q: fc.constantFrom(...QUEUES),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("delete" as const),
      q: fc.constantFrom(...QUEUES),
    }),
  },
  {
    weight: 10,
    arbitrary: fc.record({
      op: fc.constant("append" as const),
      q: fc.constantFrom(...QUEUES),
      // undefined: no position; otherwise the position is next + delta
      // (-1: a retry, below: the past, 0: next, above: a gap).
      delta: fc.oneof(
        { weight: 3, arbitrary: fc.constant(undefined) },
        { weight: 2, arbitrary: fc.integer({ min: -4, max: 6 }) },
      ),
      sizes: fc.array(
        fc.oneof(
          { weight: 3, arbitrary: fc.integer({ min: 0, max: 64 }) },
          { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 30_000 }) },
        ),
        { maxLength: 4 },
      ),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("truncate" as const),
      q: fc.constantFrom(...QUEUES),
      // The position is next - 1 + delta: 0 truncates everything, above goes
      // beyond the end, below keeps the last records.
      delta: fc.oneof(
        fc.integer({ min: -1, max: 2 }),
        fc.integer({ min: -8, max: 5 }),
      ),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ op: "reopen" as const }) },
);

/** Random operations, after creating every queue (so most operations find their queue). */
function opsArbitrary(
  extra: fc.Arbitrary<Op>,
  maxLength: number,
): fc.Arbitrary<Op[]> {
  const creates: Op[] = QUEUES.map((q) => ({ op: "create", q }));
  return fc.array(extra, { minLength: 1, maxLength, size: "max" })
    .map((ops) => [...creates, ...ops]);
}

interface RunOptions {
  segmentBytes: number;
  persistPolicy: PersistPolicy;
  /** A memory file system (crash allowed) or a real temp directory. */
  real: boolean;
  /** Start operations without awaiting them, until the next reopen or the end. */
  concurrent?: boolean;
}

interface Started {
  label: string;
  expected: Outcome;
  result: Promise<{ outcome: Outcome; walBytesWritten: number }>;
  gc: boolean;
}

/** Checks a started operation's outcome against the model's. */
async function settle(started: Started): Promise<void> {
  const { label, expected } = started;
  const { outcome, walBytesWritten } = await started.result;
  assert.deepEqual(outcome, expected, label);
  const wrote = !("error" in expected) &&
    !("lastPosition" in expected && expected.lastPosition === undefined);
  assert.equal(
    walBytesWritten > 0,
    wrote,
    `${label}: walBytesWritten ${walBytesWritten}`,
  );
}

async function run(ops: Op[], options: RunOptions): Promise<void> {
  let fs: FileAdapter = options.real
    ? defaultFileAdapter()
    : new MemoryFileAdapter();
  const dir = options.real ? tempDir("mrecordlog-model-") : "/wal";
  const open = () =>
    MultiRecordLog.open(dir, {
      fileAdapter: fs,
      segmentBytes: options.segmentBytes,
      persistPolicy: options.persistPolicy,
      onWarning: (w) => {
        throw new Error(`unexpected warning: ${w}`);
      },
    });
  let log = await open();
  const model: Model = new Map();
  let seed = 1;
  // Operations started and not yet checked (more than one only when concurrent).
  let started: Started[] = [];
  const settleAll = async (label: string) => {
    for (const s of started) await settle(s);
    const gc = started.length === 1 && started[0].gc;
    started = [];
    checkState(log, model, fs, dir, gc, label);
  };
  try {
    for (const [i, op] of ops.entries()) {
      const label = `step ${i} ${JSON.stringify(op)}`;
      if (op.op === "reopen" || op.op === "crash") {
        await settleAll(label);
        if (op.op === "crash") {
          // Everything resolved was fsynced: a power loss keeps it all.
          fs = (fs as MemoryFileAdapter).crash({ mode: "drop" });
        } else {
          await log.close();
        }
        log = await open();
        checkState(log, model, fs, dir, true, label);
        continue;
      }
      const queue = model.get(op.q);
      let position: number | undefined;
      if (op.op === "append" && op.delta !== undefined) {
        position = Math.max(0, (queue?.next ?? 0) + op.delta);
      } else if (op.op === "truncate") {
        position = Math.max(0, (queue?.next ?? 0) - 1 + op.delta);
      }
      const payloads = op.op === "append"
        ? op.sizes.map((n) => randomBytes(n, seed++))
        : [];
      // The log checks and lays out each call synchronously, in call order:
      // the model is applied at call time even when calls are not awaited.
      const expected = applyToModel(model, op, payloads, position);
      started.push({
        label,
        expected,
        result: applyToLog(log, op, payloads, position),
        gc: op.op === "truncate" || op.op === "delete",
      });
      if (!options.concurrent) await settleAll(label);
    }
    await settleAll("end");
    await log.close();
  } finally {
    await Promise.allSettled(started.map((s) => s.result));
    if (!log.closed) await log.close().catch(() => {});
    if (options.real) removeDir(dir);
  }
}

describe("MultiRecordLog against a model of FORMAT.md", () => {
  it("matches the model on a memory file system, with small files rolling and collected", async () => {
    await fc.assert(
      fc.asyncProperty(
        opsArbitrary(opArbitrary, 60),
        fc.constantFrom(32_768, 65_536),
        fc.constantFrom<PersistPolicy>(
          { kind: "always", action: "flush" },
          { kind: "doNothing" },
          { kind: "onDelay", intervalMs: 1, action: "fsync" },
        ),
        (ops, segmentBytes, persistPolicy) =>
          run(ops, { segmentBytes, persistPolicy, real: false }),
      ),
      { numRuns: 250, seed: SEED },
    );
  });

  it("keeps everything through power losses with always/fsync", async () => {
    const withCrash = fc.oneof(
      { weight: 8, arbitrary: opArbitrary },
      { weight: 1, arbitrary: fc.constant({ op: "crash" as const }) },
    );
    await fc.assert(
      fc.asyncProperty(
        opsArbitrary(withCrash, 60),
        fc.constantFrom(32_768, 65_536),
        (ops, segmentBytes) =>
          run(ops, {
            segmentBytes,
            persistPolicy: { kind: "always", action: "fsync" },
            real: false,
          }),
      ),
      { numRuns: 150, seed: SEED + 1 },
    );
  });

  it("matches the model in a real temp directory", async () => {
    await fc.assert(
      fc.asyncProperty(
        opsArbitrary(opArbitrary, 40),
        (ops) =>
          run(ops, {
            segmentBytes: 32_768,
            persistPolicy: { kind: "always", action: "flush" },
            real: true,
          }),
      ),
      { numRuns: 20, seed: SEED + 2 },
    );
  });

  it("matches the model when operations are started without awaiting them", async () => {
    await fc.assert(
      fc.asyncProperty(
        opsArbitrary(opArbitrary, 60),
        fc.constantFrom(32_768, 65_536),
        fc.constantFrom<PersistPolicy>(
          { kind: "always", action: "fsync" },
          { kind: "always", action: "flush" },
        ),
        (ops, segmentBytes, persistPolicy) =>
          run(ops, {
            segmentBytes,
            persistPolicy,
            real: false,
            concurrent: true,
          }),
      ),
      { numRuns: 150, seed: SEED + 3 },
    );
  });
});
