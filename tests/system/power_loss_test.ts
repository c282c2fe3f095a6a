// Power loss, simulated with the memory file adapter. Seeded random operation
// sequences run against a model; the disk loses power at every step in turn
// (every write, truncation, fsync, file creation, removal, rename and
// directory sync, a write possibly torn part way), and each power loss is
// explored several ways: everything unsynced dropped, everything kept, and
// torn (a random subset of the unsynced writes kept, each maybe cut short).
//
// After recovery, with "drop" and "keep": the state equals the model's state
// after some operation between the last one acknowledged as fsynced and the
// last one issued. With "torn", the disk may keep a later unsynced write and
// lose an earlier one, so the state need not be such a prefix; then: every
// record read was written at that position with that payload, and every
// record (and queue) present in all those model states is there.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import {
  type AdapterFile,
  type FileAdapter,
  MemoryFileAdapter,
  MultiRecordLog,
  type PersistPolicy,
} from "../../mod.ts";
import { mulberry32 } from "../../src/testing/mulberry32.ts";
import { tick } from "../support/waiting.ts";
import { xorshiftFill } from "../support/random_bytes.ts";

const DIR = "/db/wal";
const TIMEOUT = { timeout: 120_000 };

// ---------------------------------------------------------------------------
// The model and the operations.

/** A queue of the model: next position and records (position, payload key). */
interface ModelQueue {
  next: number;
  records: [number, string][];
}
type Model = Map<string, ModelQueue>;

type Op =
  | { kind: "create"; queue: string; exists: boolean }
  | { kind: "delete"; queue: string }
  | {
    kind: "appends";
    calls: { queue: string; position?: number; payloads: Uint8Array[] }[];
  }
  | { kind: "truncate"; queue: string; position: number }
  | { kind: "persist"; action: "flush" | "fsync" }
  | { kind: "reopen" };

interface Scenario {
  seed: number;
  policy: PersistPolicy;
  segmentBytes: number;
  ops: Op[];
  /** The `hotBytes` open option, if any. */
  hotBytes?: number;
}

/** A payload's identity in model states: its length and CRC-32. */
function keyOf(payload: Uint8Array): string {
  return `${payload.length}:${crc32(payload)}`;
}

function cloneModel(model: Model): Model {
  const copy: Model = new Map();
  for (const [name, q] of model) {
    copy.set(name, { next: q.next, records: q.records.slice() });
  }
  return copy;
}

/** A canonical text of a state: queues by name, next position, records. */
function canonical(model: Model): string {
  return JSON.stringify(
    [...model.keys()].sort().map((name) => {
      const q = model.get(name)!;
      return [name, q.next, q.records];
    }),
  );
}

/** Applies an append call to the model (the library's rules). */
function modelAppend(
  model: Model,
  call: { queue: string; position?: number; payloads: Uint8Array[] },
): void {
  const q = model.get(call.queue)!;
  const { position, payloads } = call;
  if (position !== undefined && position !== q.next) {
    if (position + 1 === q.next) return;
    if (position < q.next) throw new Error("model: position in the past");
  }
  if (payloads.length === 0) return;
  const start = position ?? q.next;
  payloads.forEach((p, i) => q.records.push([start + i, keyOf(p)]));
  q.next = start + payloads.length;
}

function modelApply(model: Model, op: Op): void {
  switch (op.kind) {
    case "create":
      if (!op.exists) model.set(op.queue, { next: 0, records: [] });
      break;
    case "delete":
      model.delete(op.queue);
      break;
    case "appends":
      for (const call of op.calls) modelAppend(model, call);
      break;
    case "truncate": {
      const q = model.get(op.queue)!;
      q.records = q.records.filter(([p]) => p > op.position);
      if (op.position + 1 >= q.next) q.next = op.position + 1;
      break;
    }
  }
}

const NAMES = ["a", "b", "queue-ç"];

function generate(seed: number, length: number): Scenario {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T =>
    items[Math.floor(random() * items.length)];
  const policy = pick<PersistPolicy>([
    { kind: "always", action: "fsync" },
    { kind: "always", action: "flush" },
    { kind: "doNothing" },
  ]);
  const segmentBytes = pick([32_768, 65_536]);
  const model: Model = new Map();
  const ops: Op[] = [];
  let payloadCount = 0;
  const payload = (): Uint8Array => {
    const roll = random();
    const size = roll < 0.1
      ? 0
      : roll < 0.85
      ? Math.floor(random() * 3_000)
      : 10_000 + Math.floor(random() * 30_000);
    return xorshiftFill(
      new Uint8Array(size),
      (seed * 7919 + ++payloadCount) | 1,
    );
  };
  while (ops.length < length) {
    const existing = [...model.keys()];
    const roll = random();
    let op: Op;
    if (existing.length === 0 || roll < 0.08) {
      const queue = pick(NAMES);
      op = { kind: "create", queue, exists: model.has(queue) };
    } else if (roll < 0.13) {
      op = { kind: "delete", queue: pick(existing) };
    } else if (roll < 0.68) {
      const calls = [];
      const count = random() < 0.3 ? 2 + Math.floor(random() * 3) : 1;
      const shadow = cloneModel(model);
      for (let i = 0; i < count; i++) {
        const queue = pick(existing);
        const next = shadow.get(queue)!.next;
        const r = random();
        const position = r < 0.7
          ? undefined
          : r < 0.82
          ? next
          : r < 0.94
          ? next + 1 + Math.floor(random() * 3)
          : Math.max(0, next - 1);
        const n = random() < 0.1 ? 0 : 1 + Math.floor(random() * 3);
        const call = {
          queue,
          position,
          payloads: Array.from({ length: n }, payload),
        };
        modelAppend(shadow, call);
        calls.push(call);
      }
      op = { kind: "appends", calls };
    } else if (roll < 0.83) {
      const queue = pick(existing);
      const q = model.get(queue)!;
      const low = q.records.length > 0 ? q.records[0][0] - 1 : q.next - 2;
      const position = Math.max(
        0,
        low + Math.floor(random() * (q.next + 2 - low)),
      );
      op = { kind: "truncate", queue, position };
    } else if (roll < 0.93) {
      op = { kind: "persist", action: random() < 0.5 ? "flush" : "fsync" };
    } else {
      op = { kind: "reopen" };
    }
    modelApply(model, op);
    ops.push(op);
  }
  return { seed, policy, segmentBytes, ops };
}

// ---------------------------------------------------------------------------
// A file adapter that loses power at a given step.

function eio(what: string): Error {
  return Object.assign(new Error(`EIO: power lost, ${what}`), { code: "EIO" });
}

/** When a {@linkcode PowerLossAdapter} loses power. */
interface PowerLossOptions {
  /** At the `crashAt`-th state-changing call (0-based)... */
  crashAt?: number;
  /** ...or at the `nth` (0-based) call of kind `what` counted from now. */
  crashOn?: { what: string; nth: number };
  /** The fraction of its bytes a write cut by the power loss writes. */
  tear?: number;
  /** The disk (default: a new one). */
  inner?: MemoryFileAdapter;
}

/**
 * Wraps a memory adapter; at the chosen state-changing call the disk loses
 * power (`inner.crash()`): a write first writes `tear` of its bytes, then that
 * call and every later one fail with EIO. With `holdSyncs`, fsyncs wait for
 * `releaseSyncs()` before doing anything.
 */
class PowerLossAdapter implements FileAdapter {
  readonly inner: MemoryFileAdapter;
  steps = 0;
  crashed = false;
  holdSyncs = false;
  /** State-changing calls made, by kind. */
  readonly counts: Record<string, number> = {};
  readonly #options: PowerLossOptions;
  #release: (() => void)[] = [];

  constructor(options: PowerLossOptions = {}) {
    this.#options = options;
    this.inner = options.inner ?? new MemoryFileAdapter();
  }

  /** Counts a state-changing call; throws if the power is (or goes) off. */
  step(what: string, beforeCrash?: () => void): void {
    if (this.crashed) throw eio(what);
    const nth = this.counts[what] ?? 0;
    this.counts[what] = nth + 1;
    const { crashAt, crashOn } = this.#options;
    if (
      this.steps++ === crashAt ||
      (crashOn?.what === what && crashOn.nth === nth)
    ) {
      beforeCrash?.();
      this.powerOff();
      throw eio(what);
    }
  }

  /** Loses power now. */
  powerOff(): void {
    this.crashed = true;
    this.inner.crash();
  }

  /** Waits for `releaseSyncs()` if syncs are held. */
  waitToSync(): Promise<void> {
    if (!this.holdSyncs) return Promise.resolve();
    return new Promise((resolve) => this.#release.push(resolve));
  }

  /** Lets held fsyncs go on. */
  releaseSyncs(): void {
    this.holdSyncs = false;
    for (const release of this.#release.splice(0)) release();
  }

  get tear(): number {
    return this.#options.tear ?? 0;
  }

  mkdir(path: string): void {
    this.step("mkdir");
    this.inner.mkdir(path);
  }
  listFiles(dir: string): string[] {
    if (this.crashed) throw eio("listFiles");
    return this.inner.listFiles(dir);
  }
  open(path: string, options: { create: boolean }): AdapterFile {
    if (options.create) this.step("create");
    else if (this.crashed) throw eio("open");
    return new PowerLossFile(this, this.inner.open(path, options));
  }
  rename(from: string, to: string): void {
    this.step("rename");
    this.inner.rename(from, to);
  }
  link(existing: string, path: string): void {
    this.step("link");
    this.inner.link(existing, path);
  }
  remove(path: string): void {
    this.step("remove");
    this.inner.remove(path);
  }
  syncDir(dir: string): void {
    this.step("syncDir");
    this.inner.syncDir(dir);
  }
}

class PowerLossFile implements AdapterFile {
  readonly #disk: PowerLossAdapter;
  readonly #file: AdapterFile;

  constructor(disk: PowerLossAdapter, file: AdapterFile) {
    this.#disk = disk;
    this.#file = file;
  }

  read(buffer: Uint8Array, offset: number): number {
    if (this.#disk.crashed) throw eio("read");
    return this.#file.read(buffer, offset);
  }
  write(bytes: Uint8Array, offset: number): number {
    this.#disk.step("write", () => {
      const torn = Math.floor(bytes.length * this.#disk.tear);
      if (torn > 0) this.#file.write(bytes.subarray(0, torn), offset);
    });
    return this.#file.write(bytes, offset);
  }
  truncate(length: number): void {
    this.#disk.step("truncate");
    this.#file.truncate(length);
  }
  size(): number {
    if (this.#disk.crashed) throw eio("size");
    return this.#file.size();
  }
  async syncData(): Promise<void> {
    await this.#disk.waitToSync();
    this.#disk.step("fsync");
    await this.#file.syncData();
  }
  syncDataSync(): void {
    this.#disk.step("fsync");
    this.#file.syncDataSync();
  }
  close(): void {
    this.#file.close();
  }
}

// ---------------------------------------------------------------------------
// Running a scenario until the power goes.

interface Run {
  /** Model states: before the first open, then after each operation issued. */
  snapshots: Model[];
  /** Index in `snapshots` of the last state acknowledged as fsynced. */
  durable: number;
  /** Every payload written, as `queue \0 position \0 key`. */
  written: Set<string>;
  disk: PowerLossAdapter;
  /** The size of the log files. */
  segmentBytes: number;
  /** The `hotBytes` open option, if any. */
  hotBytes?: number;
}

async function execute(
  scenario: Scenario,
  crashAt: number,
  tear: number,
): Promise<Run> {
  const disk = new PowerLossAdapter({ crashAt, tear });
  const model: Model = new Map();
  const snapshots: Model[] = [new Map()];
  const written = new Set<string>();
  const run: Run = {
    snapshots,
    durable: 0,
    written,
    disk,
    segmentBytes: scenario.segmentBytes,
    hotBytes: scenario.hotBytes,
  };
  const options = {
    fileAdapter: disk,
    persistPolicy: scenario.policy,
    segmentBytes: scenario.segmentBytes,
    hotBytes: scenario.hotBytes,
    onWarning: () => {},
  };
  const fsyncs = scenario.policy.kind === "always" &&
    scenario.policy.action === "fsync";
  const label = () => `seed ${scenario.seed}, step ${disk.steps}`;
  // Per queue, the snapshot of the last append that wrote records.
  const lastAppend = new Map<string, number>();
  let log: MultiRecordLog;
  try {
    log = await MultiRecordLog.open(DIR, options);
  } catch (error) {
    if (disk.crashed) return run;
    throw error;
  }
  for (const op of scenario.ops) {
    const index = snapshots.length; // the snapshot this op leads to
    // Each call, and the snapshot its success proves durable (or -1).
    const issued: { promise: Promise<unknown>; durable: number }[] = [];
    let expectError: string | undefined;
    switch (op.kind) {
      case "create":
        expectError = op.exists ? "QueueAlreadyExistsError" : undefined;
        issued.push({
          promise: log.createQueue(op.queue),
          durable: op.exists ? -1 : index,
        });
        break;
      case "delete":
        issued.push({ promise: log.deleteQueue(op.queue), durable: index });
        lastAppend.delete(op.queue);
        break;
      case "appends":
        // Issued together: they share commits; each has its own snapshot.
        for (let i = 0; i < op.calls.length; i++) {
          const { queue, position, payloads } = op.calls[i];
          const q = model.get(queue)!;
          const start = position ?? q.next;
          const retry = position !== undefined && position + 1 === q.next;
          let durable = -1;
          if (retry) {
            // An idempotent retry of the last append: once it resolves,
            // that append is persisted (as the policy says).
            durable = fsyncs ? lastAppend.get(queue) ?? -1 : -1;
          } else if (payloads.length > 0) {
            payloads.forEach((p, k) =>
              written.add(`${queue}\0${start + k}\0${keyOf(p)}`)
            );
            lastAppend.set(queue, index + i);
            durable = fsyncs ? index + i : -1;
          }
          issued.push({
            promise: log.appendRecords(queue, position, payloads),
            durable,
          });
          modelAppend(model, op.calls[i]);
          snapshots.push(cloneModel(model));
        }
        break;
      case "truncate":
        issued.push({
          promise: log.truncate(op.queue, op.position),
          durable: fsyncs ? index : -1,
        });
        lastAppend.delete(op.queue);
        break;
      case "persist":
        issued.push({
          promise: log.persist(op.action),
          durable: op.action === "fsync" ? index : -1,
        });
        break;
      case "reopen":
        issued.push({
          promise: log.close().then(async () => {
            log = await MultiRecordLog.open(DIR, options);
          }),
          durable: index,
        });
        break;
    }
    if (op.kind !== "appends") {
      modelApply(model, op);
      snapshots.push(cloneModel(model));
    }
    const results = await Promise.allSettled(issued.map((i) => i.promise));
    for (let i = 0; i < results.length; i++) {
      const result = results[i];
      if (result.status === "fulfilled") {
        run.durable = Math.max(run.durable, issued[i].durable);
      } else if (!disk.crashed) {
        const name = (result.reason as Error)?.name;
        if (name !== expectError) {
          throw new Error(`${label()}: ${op.kind} failed: ${result.reason}`, {
            cause: result.reason,
          });
        }
      }
    }
    if (disk.crashed) return run;
  }
  try {
    await log.close();
  } catch (error) {
    if (!disk.crashed) throw error;
  }
  return run;
}

// ---------------------------------------------------------------------------
// Recovery and its checks.

function stateOf(log: MultiRecordLog, written: Set<string>, label: string) {
  const model: Model = new Map();
  for (const name of log.listQueues()) {
    const records: [number, string][] = [];
    for (const { position, payload } of log.range(name)) {
      const key = keyOf(payload);
      if (!written.has(`${name}\0${position}\0${key}`)) {
        assert.fail(
          `${label}: ${JSON.stringify(name)}@${position} holds a payload ` +
            `(${key}) that was never written there`,
        );
      }
      records.push([position, key]);
    }
    model.set(name, { next: (log.lastPosition(name) ?? -1) + 1, records });
  }
  return model;
}

interface Outcomes {
  crashes: number;
  recoveries: number;
  tornNotPrefix: number;
}

async function recoverAndCheck(
  run: Run,
  mode: "drop" | "keep" | "torn",
  seed: number,
  label: string,
  outcomes: Outcomes,
  appendAfter: boolean,
): Promise<void> {
  const after = run.disk.inner.crash({ mode, seed });
  const options = {
    fileAdapter: after,
    segmentBytes: run.segmentBytes,
    hotBytes: run.hotBytes,
    onWarning: () => {},
  };
  let log: MultiRecordLog;
  try {
    log = await MultiRecordLog.open(DIR, options);
  } catch (error) {
    throw new Error(`${label}: recovery open threw ${error}`, {
      cause: error,
    });
  }
  outcomes.recoveries++;
  const state = stateOf(log, run.written, label);
  const text = canonical(state);
  const candidates = run.snapshots.slice(run.durable);
  const matches = candidates.some((s) => canonical(s) === text);
  if (mode !== "torn") {
    if (!matches) {
      await log.close();
      assert.fail(
        `${label}: recovered state is none of the model's states since the ` +
          `last fsync (op ${run.durable} of ${run.snapshots.length - 1}):\n` +
          `recovered ${text}\nlast durable ${canonical(candidates[0])}\n` +
          `last issued ${canonical(candidates[candidates.length - 1])}`,
      );
    }
  } else if (!matches) {
    outcomes.tornNotPrefix++;
    // Whatever every candidate state holds must be there.
    for (const [name, q] of candidates[0]) {
      if (!candidates.every((s) => s.has(name))) continue;
      assert.ok(state.has(name), `${label}: queue ${name} lost`);
      const have = new Set(state.get(name)!.records.map((r) => r.join()));
      for (const record of q.records) {
        const inAll = candidates.every((s) =>
          s.get(name)!.records.some((r) => r.join() === record.join())
        );
        if (inAll) {
          assert.ok(
            have.has(record.join()),
            `${label}: ${name}@${record[0]} lost:\nrecovered ${text}`,
          );
        }
      }
    }
  }
  if (appendAfter) {
    // The recovered log takes writes, and they survive a clean reopen.
    const name = log.listQueues()[0];
    if (name !== undefined) {
      const payload = new Uint8Array(100).fill(7);
      const { lastPosition } = await log.appendRecord(name, undefined, payload);
      await log.close();
      const again = await MultiRecordLog.open(DIR, options);
      const q = state.get(name)!;
      q.records.push([lastPosition!, keyOf(payload)]);
      q.next = lastPosition! + 1;
      assert.equal(
        canonical(
          stateOf(
            again,
            new Set([
              ...run.written,
              `${name}\0${lastPosition}\0${keyOf(payload)}`,
            ]),
            label,
          ),
        ),
        canonical(state),
        `${label}: state after an append and a reopen`,
      );
      await again.close();
      return;
    }
  }
  await log.close();
}

async function exploreScenario(
  seed: number,
  length: number,
  total: Record<string, number>,
  hotBytes?: number,
): Promise<Outcomes> {
  const scenario = { ...generate(seed, length), hotBytes };
  // A run without power loss counts the steps.
  const full = await execute(scenario, Infinity, 0);
  assert.equal(full.disk.crashed, false);
  for (const [kind, count] of Object.entries(full.disk.counts)) {
    total[kind] = (total[kind] ?? 0) + count;
  }
  const outcomes: Outcomes = {
    crashes: 0,
    recoveries: 0,
    tornNotPrefix: 0,
  };
  const steps = full.disk.steps;
  const random = mulberry32(seed ^ 0x5eed);
  for (let crashAt = 0; crashAt < steps; crashAt++) {
    const tear = random() < 0.5 ? 0 : random();
    const run = await execute(scenario, crashAt, tear);
    assert.ok(run.disk.crashed, `seed ${seed}: no crash at step ${crashAt}`);
    outcomes.crashes++;
    const label = (mode: string) =>
      `seed ${seed} (${
        JSON.stringify(scenario.policy)
      }, ${scenario.segmentBytes} B files), ` +
      `power lost at step ${crashAt} of ${steps} (tear ${
        tear.toFixed(2)
      }), ${mode}`;
    await recoverAndCheck(run, "drop", 0, label("drop"), outcomes, false);
    await recoverAndCheck(
      run,
      "keep",
      0,
      label("keep"),
      outcomes,
      crashAt % 5 === 0,
    );
    for (const tornSeed of [crashAt, crashAt + 1_000_003]) {
      await recoverAndCheck(
        run,
        "torn",
        tornSeed,
        label(`torn ${tornSeed}`),
        outcomes,
        false,
      );
    }
  }
  return outcomes;
}

describe("power loss at every step of random operation sequences", () => {
  const seeds = Array.from({ length: 20 }, (_, i) => 1 + i * 7_919);
  const total: Record<string, number> = {};
  for (const seed of seeds) {
    test(`seed ${seed}`, TIMEOUT, async () => {
      const outcomes = await exploreScenario(seed, 60, total);
      assert.ok(outcomes.crashes > 60);
      assert.equal(outcomes.recoveries, outcomes.crashes * 4);
    });
  }
  test("the sequences roll, delete and create log files", () => {
    // Power was lost between a file removal or creation and its directory sync.
    assert.ok(total.remove >= 10, JSON.stringify(total));
    assert.ok(total.create >= 20, JSON.stringify(total));
    assert.ok(total.syncDir >= 20, JSON.stringify(total));
  });
});

describe("power loss with a hot budget of 2 KiB: most records read from the files", () => {
  for (const seed of [3, 5_003]) {
    test(`seed ${seed}`, TIMEOUT, async () => {
      const outcomes = await exploreScenario(seed, 60, {}, 2048);
      assert.ok(outcomes.crashes > 60);
      assert.equal(outcomes.recoveries, outcomes.crashes * 4);
    });
  }
});

describe("power loss at chosen moments", () => {
  const payloads = [100, 5_000, 40_000, 0, 300].map((size, i) => {
    const bytes = new Uint8Array(size);
    for (let k = 0; k < size; k++) bytes[k] = (k * 31 + i) & 0xff;
    return bytes;
  });

  /** A disk holding a closed log: queue "q" with `payloads` (fsynced), ending mid-block. */
  async function diskWithLog(): Promise<MemoryFileAdapter> {
    const disk = new MemoryFileAdapter();
    const log = await MultiRecordLog.open(DIR, {
      fileAdapter: disk,
      segmentBytes: 131_072,
      persistPolicy: { kind: "always", action: "fsync" },
    });
    await log.createQueue("q");
    for (const payload of payloads) {
      await log.appendRecord("q", undefined, payload);
    }
    await log.close();
    return disk;
  }

  // Open zeroes the rest of the newest file: if the file is cut to the end of
  // the data and the power goes before it is extended again, its last
  // (partial) block is not read on the next open, and the fsynced records in
  // it are lost.
  for (
    const [what, nth] of [["truncate", 0], ["truncate", 1], [
      "fsync",
      0,
    ]] as const
  ) {
    test(`power lost at ${what} #${nth} of open keeps every fsynced record`, async () => {
      for (const mode of ["drop", "keep", "torn"] as const) {
        for (let seed = 0; seed < (mode === "torn" ? 8 : 1); seed++) {
          const inner = await diskWithLog();
          const disk = new PowerLossAdapter({ inner, crashOn: { what, nth } });
          await assert.rejects(
            MultiRecordLog.open(DIR, {
              fileAdapter: disk,
              segmentBytes: 131_072,
            }),
            /EIO/,
          );
          const after = inner.crash({ mode, seed });
          const log = await MultiRecordLog.open(DIR, {
            fileAdapter: after,
            segmentBytes: 131_072,
            onWarning: () => {},
          });
          const got = [...log.range("q")].map((r) => keyOf(r.payload));
          assert.deepEqual(got, payloads.map(keyOf), `${mode} (seed ${seed})`);
          await log.close();
        }
      }
    });
  }

  /** A log on a power-loss disk with queues "q" and "other", always/fsync, whose fsyncs are held. */
  async function logWithHeldSyncs(): Promise<
    { disk: PowerLossAdapter; log: MultiRecordLog }
  > {
    const disk = new PowerLossAdapter();
    const log = await MultiRecordLog.open(DIR, {
      fileAdapter: disk,
      persistPolicy: { kind: "always", action: "fsync" },
    });
    await log.createQueue("q");
    await log.createQueue("other");
    disk.holdSyncs = true;
    return { disk, log };
  }

  test("an idempotent retry that resolved survives a power loss", async () => {
    const { disk, log } = await logWithHeldSyncs();
    const first = log.appendRecord("q", 0, payloads[1]);
    // Another append joins the same commit, so its fsync is held.
    const other = log.appendRecord("other", undefined, payloads[0]);
    // The caller retries the append (same position) while it is pending.
    const retry = log.appendRecord("q", 0, payloads[1]);
    const settled = [first, retry, other].map((p) =>
      p.then(() => true, () => false)
    );
    const retryResolved = await Promise.race([
      settled[1],
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 30)),
    ]);
    disk.powerOff();
    disk.releaseSyncs();
    await Promise.all(settled);
    await log.close().catch(() => {});
    const after = disk.inner.crash({ mode: "drop" });
    const again = await MultiRecordLog.open(DIR, {
      fileAdapter: after,
      onWarning: () => {},
    });
    if (retryResolved) {
      // The retry said position 0 is persisted: it must be there.
      assert.deepEqual(
        [...again.range("q")].map((r) => keyOf(r.payload)),
        [keyOf(payloads[1])],
        "the retry resolved before the append it retries was fsynced",
      );
    }
    await again.close();
  });

  test("an idempotent retry resolves once the append it retries is done", async () => {
    const { disk, log } = await logWithHeldSyncs();
    const first = log.appendRecord("q", 0, payloads[0]);
    const other = log.appendRecord("other", undefined, payloads[0]);
    const retry = log.appendRecord("q", 0, payloads[0]);
    await tick(10);
    disk.releaseSyncs();
    assert.equal((await first).lastPosition, 0);
    assert.equal((await other).lastPosition, 0);
    assert.deepEqual(await retry, {
      lastPosition: undefined,
      walBytesWritten: 0,
    });
    assert.equal(log.lastPosition("q"), 0);
    await log.close();
  });
});
