// Model-based property test: random sequences of queue, consumer and
// retention operations, reopens and power losses, checked after every step
// against a plain in-memory model (log_model.ts) of FORMAT.md's rules and the
// library's rules for consumers and retention.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import {
  ConsumerAlreadyExistsError,
  type FileAdapter,
  MemoryFileAdapter,
  MissingConsumerError,
  MissingQueueError,
  MultiRecordLog,
  type PersistPolicy,
  PositionInPastError,
  QueueAlreadyExistsError,
  RetentionLimitError,
} from "../../mod.ts";
import { defaultFileAdapter } from "../../src/storage/default_file_adapter.ts";
import { randomBytes } from "../support/random_bytes.ts";
import { removeDir, tempDir } from "../support/temp_dir.ts";
import { walNumbers } from "../support/log_state.ts";
import {
  appendModel,
  canonical,
  cloneModel,
  emptyQueue,
  followModel,
  key,
  type Model,
  type ModelRetention,
  type Outcome,
  retentionKey,
  truncateModel,
} from "./log_model.ts";

const SEED = Number(process.env.MRECORDLOG_SEED ?? 20_240_611);
const QUEUES = ["a", "b", "c"];
const CONSUMERS = ["x", "y"];

type Op =
  | { op: "create"; q: string }
  | { op: "delete"; q: string }
  | { op: "append"; q: string; delta: number | undefined; sizes: number[] }
  | { op: "truncate"; q: string; delta: number }
  | { op: "consumer"; q: string; name: string; from: number | undefined }
  | { op: "unconsume"; q: string; name: string }
  | { op: "ack"; q: string; name: string; delta: number }
  | { op: "retention"; q: string; limits: ModelRetention | undefined }
  | { op: "reopen" }
  | { op: "crash"; mode: "drop" | "keep" };

/**
 * The operations that collect garbage when they succeed (acks and appends
 * only when they truncate a file's last record).
 */
const GARBAGE_COLLECTING = [
  "truncate",
  "delete",
  "consumer",
  "unconsume",
  "retention",
];

/** The operations that fsync whatever the policy (when they succeed). */
const ALWAYS_SYNCED = [
  "create",
  "delete",
  "consumer",
  "unconsume",
  "retention",
];

/** Applies `op` to the model; returns the expected outcome. */
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
    model.set(op.q, emptyQueue());
    return { ok: true };
  }
  if (!queue) return { error: "MissingQueueError" };
  switch (op.op) {
    case "delete":
      model.delete(op.q);
      return { ok: true };
    case "truncate":
      return { evicted: truncateModel(queue, position!) };
    case "append":
      return appendModel(queue, payloads, position);
    case "consumer":
      if (queue.consumers.has(op.name)) {
        return { error: "ConsumerAlreadyExistsError" };
      }
      queue.consumers.set(op.name, {
        from: position ?? queue.records[0]?.[0] ?? queue.next,
        acked: undefined,
      });
      break;
    case "unconsume":
      if (!queue.consumers.delete(op.name)) {
        return { error: "MissingConsumerError" };
      }
      break;
    case "ack": {
      const consumer = queue.consumers.get(op.name);
      if (!consumer) return { error: "MissingConsumerError" };
      if (position! > queue.next - 1) return { error: "RangeError" };
      if (position! <= (consumer.acked ?? consumer.from - 1)) {
        return { noop: true };
      }
      consumer.acked = position;
      break;
    }
    case "retention": {
      const noop = op.limits === undefined && queue.consumers.size === 0 &&
        queue.retention === undefined;
      queue.retention = op.limits && { ...op.limits };
      if (noop) return { noop: true };
      break;
    }
  }
  followModel(queue);
  return { ok: true };
}

function errorName(error: unknown): string {
  if (
    error instanceof QueueAlreadyExistsError ||
    error instanceof MissingQueueError ||
    error instanceof PositionInPastError ||
    error instanceof MissingConsumerError ||
    error instanceof ConsumerAlreadyExistsError ||
    error instanceof RetentionLimitError ||
    error instanceof RangeError
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
    switch (op.op) {
      case "create":
        return { outcome: { ok: true }, ...await log.createQueue(op.q) };
      case "delete":
        return { outcome: { ok: true }, ...await log.deleteQueue(op.q) };
      case "truncate": {
        const { evictedRecords, walBytesWritten } = await log.truncate(
          op.q,
          position!,
        );
        return { outcome: { evicted: evictedRecords }, walBytesWritten };
      }
      case "append": {
        const { lastPosition, walBytesWritten } = await log.appendRecords(
          op.q,
          position,
          payloads,
        );
        return { outcome: { lastPosition }, walBytesWritten };
      }
      case "consumer":
        return written(
          await log.createConsumer(op.q, op.name, { from: position }),
        );
      case "unconsume":
        return written(await log.deleteConsumer(op.q, op.name));
      case "ack":
        return written(await log.ack(op.q, op.name, position!));
      case "retention":
        return written(await log.setRetention(op.q, op.limits));
    }
  } catch (error) {
    return { outcome: { error: errorName(error) }, walBytesWritten: 0 };
  }
  throw new Error(`not a log operation: ${op.op}`);
}

/** The outcome of a write that returns only the bytes written: a no-op if 0. */
function written(
  { walBytesWritten }: { walBytesWritten: number },
): { outcome: Outcome; walBytesWritten: number } {
  return {
    outcome: walBytesWritten === 0 ? { noop: true } : { ok: true },
    walBytesWritten,
  };
}

/** The log's state in the form of {@linkcode canonical}. */
function logCanonical(log: MultiRecordLog): string {
  return JSON.stringify(
    log.listQueues().map((name) => {
      const last = log.lastPosition(name);
      const records = [...log.range(name)].map((r) => [
        r.position,
        key(r.payload),
      ]);
      const consumers = log.listConsumers(name).map((c) => [
        c.name,
        c.acked ?? null,
        c.lag,
      ]);
      const retention = retentionKey(log.retention(name));
      return [
        name,
        last === undefined ? 0 : last + 1,
        records,
        consumers,
        retention,
      ];
    }),
  );
}

/** Checks the log against the model, and the files on disk against the log. */
function checkState(
  log: MultiRecordLog,
  model: Model,
  fs: FileAdapter,
  dir: string,
  afterGc: boolean,
  label: string,
  hotBytes = Infinity,
): void {
  assert.deepEqual(log.listQueues(), [...model.keys()].sort(), label);
  assert.equal(logCanonical(log), canonical(model), label);
  const summary = log.summary();
  let retained = 0;
  const firstFiles: number[] = [];
  for (const [name, queue] of model) {
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
  if (hotBytes === Infinity) {
    assert.equal(log.retainedBytes, retained, label);
  } else {
    assert.ok(
      log.retainedBytes <= Math.min(retained, hotBytes),
      `${label}: ${log.retainedBytes} bytes in memory, ${hotBytes} allowed`,
    );
  }
  const files = summary.files.map((f) => f.number);
  assert.deepEqual(walNumbers(fs, dir), files, `${label}: files on disk`);
  // Every file holding a record still in memory is kept...
  for (const n of firstFiles) {
    assert.ok(files[0] <= n, `${label}: file ${n} kept`);
  }
  // ...and, after garbage collection, every older one is gone (state
  // queues never hold one back).
  if (afterGc) {
    const oldestNeeded = Math.min(files[files.length - 1], ...firstFiles);
    assert.equal(files[0], oldestNeeded, `${label}: files ${files} after GC`);
  }
}

const queueOps: fc.Arbitrary<Op>[] = [
  fc.record({
    op: fc.constant("create" as const),
    q: fc.constantFrom(...QUEUES),
  }),
  fc.record({
    op: fc.constant("delete" as const),
    q: fc.constantFrom(...QUEUES),
  }),
  fc.record({
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
  fc.record({
    op: fc.constant("truncate" as const),
    q: fc.constantFrom(...QUEUES),
    // The position is next - 1 + delta: 0 truncates everything, above goes
    // beyond the end, below keeps the last records.
    delta: fc.oneof(
      fc.integer({ min: -1, max: 2 }),
      fc.integer({ min: -8, max: 5 }),
    ),
  }),
];

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: queueOps[0] },
  { weight: 1, arbitrary: queueOps[1] },
  { weight: 10, arbitrary: queueOps[2] },
  { weight: 5, arbitrary: queueOps[3] },
  { weight: 2, arbitrary: fc.constant({ op: "reopen" as const }) },
);

const retentionArbitrary: fc.Arbitrary<ModelRetention | undefined> = fc.option(
  fc.record({
    maxRecords: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
    maxBytes: fc.option(fc.integer({ min: 1, max: 40_000 }), {
      nil: undefined,
    }),
    discard: fc.constantFrom("old" as const, "new" as const),
  }).map((r) =>
    r.maxRecords === undefined && r.maxBytes === undefined
      ? { ...r, maxRecords: 4 }
      : r
  ),
  { nil: undefined, freq: 3 },
);

const consumerOps: fc.Arbitrary<Op>[] = [
  fc.record({
    op: fc.constant("consumer" as const),
    q: fc.constantFrom(...QUEUES),
    name: fc.constantFrom(...CONSUMERS),
    // The first position is next + from (default: the first record held).
    from: fc.option(fc.integer({ min: -5, max: 2 }), { nil: undefined }),
  }),
  fc.record({
    op: fc.constant("unconsume" as const),
    q: fc.constantFrom(...QUEUES),
    name: fc.constantFrom(...CONSUMERS),
  }),
  fc.record({
    op: fc.constant("ack" as const),
    q: fc.constantFrom(...QUEUES),
    name: fc.constantFrom(...CONSUMERS),
    // The position is next - 1 + delta: 1 is past the end.
    delta: fc.integer({ min: -6, max: 1 }),
  }),
  fc.record({
    op: fc.constant("retention" as const),
    q: fc.constantFrom(...QUEUES),
    limits: retentionArbitrary,
  }),
];

/** Queue operations with consumers, acks and retention limits. */
const withConsumers: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: opArbitrary },
  { weight: 3, arbitrary: consumerOps[0] },
  { weight: 1, arbitrary: consumerOps[1] },
  { weight: 6, arbitrary: consumerOps[2] },
  { weight: 1, arbitrary: consumerOps[3] },
);

/** `ops` with power losses mixed in. */
function withCrashes(ops: fc.Arbitrary<Op>): fc.Arbitrary<Op> {
  return fc.oneof(
    { weight: 8, arbitrary: ops },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("crash" as const),
        mode: fc.constantFrom("drop" as const, "keep" as const),
      }),
    },
  );
}

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
  /** The `hotBytes` open option: most records are then read from the files. */
  hotBytes?: number;
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
  const wrote = !("error" in expected) && !("noop" in expected) &&
    !("lastPosition" in expected && expected.lastPosition === undefined);
  assert.equal(
    walBytesWritten > 0,
    wrote,
    `${label}: walBytesWritten ${walBytesWritten}`,
  );
}

/** The position `op` names, from the model's state before it. */
function positionOf(op: Op, model: Model): number | undefined {
  if (!("q" in op)) return undefined;
  const next = model.get(op.q)?.next ?? 0;
  if (op.op === "append" && op.delta !== undefined) {
    return Math.max(0, next + op.delta);
  }
  if (op.op === "truncate" || op.op === "ack") {
    return Math.max(0, next - 1 + op.delta);
  }
  if (op.op === "consumer" && op.from !== undefined) {
    return Math.max(0, next + op.from);
  }
  return undefined;
}

/**
 * The model states a power loss may leave: those since the last operation
 * known to be fsynced (every one with `always/fsync`), with their canonical
 * text.
 */
type History = { text: string; model: Model }[];

async function run(ops: Op[], options: RunOptions): Promise<void> {
  let fs: FileAdapter = options.real
    ? defaultFileAdapter()
    : new MemoryFileAdapter();
  const dir = options.real ? tempDir("mrecordlog-model-") : "/wal";
  const policy = options.persistPolicy;
  const everyOpSynced = policy.kind === "always" && policy.action === "fsync";
  const open = () =>
    MultiRecordLog.open(dir, {
      fileAdapter: fs,
      segmentBytes: options.segmentBytes,
      persistPolicy: policy,
      hotBytes: options.hotBytes,
      onWarning: (w) => {
        throw new Error(`unexpected warning: ${w}`);
      },
    });
  let log = await open();
  let model: Model = new Map();
  let history: History = [{ text: canonical(model), model: new Map() }];
  let seed = 1;
  // Operations started and not yet checked (more than one only when concurrent).
  let started: Started[] = [];
  const settleAll = async (label: string) => {
    for (const s of started) await settle(s);
    const gc = started.length === 1 && started[0].gc;
    started = [];
    checkState(log, model, fs, dir, gc, label, options.hotBytes);
  };
  try {
    for (const [i, op] of ops.entries()) {
      const label = `step ${i} ${JSON.stringify(op)}`;
      if (op.op === "reopen" || op.op === "crash") {
        await settleAll(label);
        if (op.op === "crash") {
          fs = (fs as MemoryFileAdapter).crash({ mode: op.mode });
          log = await open();
          model = stateAfterCrash(log, history, label);
          history = [{ text: canonical(model), model: cloneModel(model) }];
        } else {
          await log.close();
          log = await open();
        }
        checkState(log, model, fs, dir, true, label, options.hotBytes);
        continue;
      }
      const position = positionOf(op, model);
      const payloads = op.op === "append"
        ? op.sizes.map((n) => randomBytes(n, seed++))
        : [];
      // The log checks and lays out each call synchronously, in call order:
      // the model is applied at call time even when calls are not awaited.
      const expected = applyToModel(model, op, payloads, position);
      const entry = { text: canonical(model), model: cloneModel(model) };
      const synced = everyOpSynced ||
        (ALWAYS_SYNCED.includes(op.op) && !("error" in expected));
      history = synced ? [entry] : [...history, entry];
      started.push({
        label,
        expected,
        result: applyToLog(log, op, payloads, position),
        gc: GARBAGE_COLLECTING.includes(op.op) && !("error" in expected),
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

/**
 * The model state the log reopened after a power loss holds: one of
 * `history` (acks, truncations and retention included), or the test fails.
 */
function stateAfterCrash(
  log: MultiRecordLog,
  history: History,
  label: string,
): Model {
  const text = logCanonical(log);
  const found = history.find((h) => h.text === text);
  assert.ok(
    found,
    `${label}: after the power loss the log holds ${text}, none of the ${history.length} states since the last fsync`,
  );
  return cloneModel(found.model);
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
    await fc.assert(
      fc.asyncProperty(
        opsArbitrary(withCrashes(opArbitrary), 60),
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
        opsArbitrary(withConsumers, 40),
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

describe("the model with a hot budget of 2 KiB: most records read from the files", () => {
  it("matches it through reopens and power losses, with consumers and retention", async () => {
    await fc.assert(
      fc.asyncProperty(
        opsArbitrary(withCrashes(withConsumers), 80),
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
            hotBytes: 2048,
          }),
      ),
      { numRuns: 120, seed: SEED + 7 },
    );
  });

  it("matches it when operations are started without awaiting them", async () => {
    await fc.assert(
      fc.asyncProperty(
        opsArbitrary(opArbitrary, 60),
        fc.constantFrom(32_768, 65_536),
        (ops, segmentBytes) =>
          run(ops, {
            segmentBytes,
            persistPolicy: { kind: "always", action: "flush" },
            real: false,
            concurrent: true,
            hotBytes: 2048,
          }),
      ),
      { numRuns: 80, seed: SEED + 8 },
    );
  });
});

describe("consumers, acks and retention against the model", () => {
  it("match the model through reopens, with small files rolling and collected", async () => {
    await fc.assert(
      fc.asyncProperty(
        opsArbitrary(withConsumers, 80),
        fc.constantFrom(32_768, 65_536),
        fc.constantFrom<PersistPolicy>(
          { kind: "always", action: "flush" },
          { kind: "doNothing" },
          { kind: "onDelay", intervalMs: 1, action: "fsync" },
        ),
        (ops, segmentBytes, persistPolicy) =>
          run(ops, { segmentBytes, persistPolicy, real: false }),
      ),
      { numRuns: 250, seed: SEED + 4 },
    );
  });

  it("keep every resolved ack through power losses with always/fsync", async () => {
    await fc.assert(
      fc.asyncProperty(
        opsArbitrary(withCrashes(withConsumers), 80),
        fc.constantFrom(32_768, 65_536),
        (ops, segmentBytes) =>
          run(ops, {
            segmentBytes,
            persistPolicy: { kind: "always", action: "fsync" },
            real: false,
          }),
      ),
      { numRuns: 150, seed: SEED + 5 },
    );
  });

  it("after a power loss under always/flush, hold a state the model went through since the last fsync", async () => {
    await fc.assert(
      fc.asyncProperty(
        opsArbitrary(withCrashes(withConsumers), 80),
        fc.constantFrom(32_768, 65_536),
        (ops, segmentBytes) =>
          run(ops, {
            segmentBytes,
            persistPolicy: { kind: "always", action: "flush" },
            real: false,
          }),
      ),
      { numRuns: 200, seed: SEED + 6 },
    );
  });
});
