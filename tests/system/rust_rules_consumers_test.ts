// A directory written with consumers, acks and retention limits, read back
// with the Rust crate's rules (docs/FORMAT.md's replay, written here apart
// from the library's recovery): every user queue holds exactly the records
// the library holds, and the state queues are just more queues, of one
// record each, that the Rust crate opens without error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { MultiRecordLog } from "../../mod.ts";
import { STATE_QUEUE_PREFIX } from "../../src/log/state_queue_names.ts";
import { readLog } from "../support/read_log.ts";
import { hex } from "../support/bytes.ts";
import { randomBytes } from "../support/random_bytes.ts";
import { withTempDir } from "../support/temp_dir.ts";

interface RustQueue {
  next: number;
  records: [number, string][];
}

/**
 * The queues the Rust crate rebuilds from `records` (whole records, in log
 * order), by FORMAT.md: Touch, AppendRecords, Truncate, DeleteQueue. An
 * AppendRecords item below the queue's next position fails the open there.
 */
function replayRustRules(records: Uint8Array[]): Map<string, RustQueue> {
  const queues = new Map<string, RustQueue>();
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  for (const bytes of records) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const kind = bytes[0];
    const position = Number(view.getBigUint64(1, true));
    const nameLength = view.getUint16(9, true);
    const name = utf8.decode(bytes.subarray(11, 11 + nameLength));
    let queue = queues.get(name);
    if (kind === 2) { // Touch
      if (!queue || queue.records.length > 0 || queue.next !== position) {
        queues.set(name, { next: position, records: [] });
      }
    } else if (kind === 3) { // DeleteQueue
      queues.delete(name);
    } else if (kind === 1) { // Truncate
      if (!queue) continue;
      queue.records = queue.records.filter(([at]) => at > position);
      if (position + 1 >= queue.next) queue.next = position + 1;
    } else if (kind === 4) { // AppendRecords
      for (let at = 11 + nameLength; at < bytes.length;) {
        const itemPosition = Number(view.getBigUint64(at, true));
        const length = view.getUint32(at + 8, true);
        const payload = bytes.subarray(at + 12, at + 12 + length);
        at += 12 + length;
        if (!queue) {
          queue = { next: itemPosition, records: [] };
          queues.set(name, queue);
        }
        assert.ok(
          itemPosition >= queue.next,
          `the Rust crate fails the open: ${
            JSON.stringify(name)
          }@${itemPosition} below ${queue.next}`,
        );
        queue.records.push([itemPosition, hex(payload)]);
        queue.next = itemPosition + 1;
      }
    } else {
      assert.fail(`unknown record kind ${kind}`);
    }
  }
  return queues;
}

/** The records of the log files of `dir`, in order, read frame by frame. */
function logRecords(dir: string): Uint8Array[] {
  const names = readdirSync(dir).filter((n) => /^wal-\d{20}$/.test(n)).sort();
  const files = names.map((n) => new Uint8Array(readFileSync(`${dir}/${n}`)));
  const { records, corruptions } = readLog(files, Number(names[0].slice(4)));
  assert.deepEqual(corruptions, []);
  return records.map((r) => r.bytes);
}

/** Writes a log with consumers, acks, retention, truncations, a deletion and GC. */
async function writeLog(dir: string): Promise<void> {
  let log = await MultiRecordLog.open(dir, { segmentBytes: 32_768 });
  for (const q of ["a", "b", "c", "gone"]) await log.createQueue(q);
  await log.createConsumer("a", "x");
  await log.createConsumer("a", "y", { from: 0 });
  await log.createConsumer("gone", "x");
  await log.setRetention("c", { maxRecords: 7, discard: "old" });
  await log.setRetention("b", { maxBytes: 50_000, discard: "new" });
  for (let i = 0; i < 400; i++) {
    const payload = randomBytes(50 + (i * 37) % 900, i);
    await log.appendRecord(["a", "b", "c", "gone"][i % 4], undefined, payload)
      .catch((error) => assert.equal(error.name, "RetentionLimitError"));
    if (i % 9 === 0) await log.ack("a", "x", log.lastPosition("a")!);
    if (i % 23 === 0) await log.ack("a", "y", log.lastPosition("a")!);
    if (i === 200) {
      await log.close();
      log = await MultiRecordLog.open(dir, { segmentBytes: 32_768 });
    }
  }
  await log.truncate("b", 20);
  await log.deleteQueue("gone");
  await log.createQueue("gone");
  await log.appendRecord("gone", undefined, randomBytes(10, 1));
  await log.close();
}

test("the Rust crate's rules read the user queues of a log with consumers and retention unchanged", async () => {
  await withTempDir(async (dir) => {
    await writeLog(dir);
    const rust = replayRustRules(logRecords(dir));
    const log = await MultiRecordLog.open(dir, { readOnly: true });
    try {
      const user = [...rust.keys()].filter((n) => !n.startsWith("\u0000"))
        .sort();
      assert.deepEqual(user, log.listQueues());
      for (const name of user) {
        const records = [...log.range(name)].map((r) => [
          r.position,
          hex(r.payload),
        ]);
        assert.deepEqual(rust.get(name)!.records, records, name);
        const last = log.lastPosition(name);
        assert.equal(rust.get(name)!.next, last === undefined ? 0 : last + 1);
      }
      // The acks truncated "a", retention kept "c" at 7 records.
      assert.ok(rust.get("a")!.records.length < 100);
      assert.equal(rust.get("c")!.records.length, 7);
      // State queues: one record each, for the queues with state only.
      const internal = [...rust.keys()].filter((n) => n.startsWith("\u0000"))
        .sort();
      assert.deepEqual(
        internal,
        ["a", "b", "c"].map((q) => STATE_QUEUE_PREFIX + q),
      );
      for (const name of internal) {
        const { records } = rust.get(name)!;
        assert.equal(records.length, 1, name);
        const state = JSON.parse(
          new TextDecoder().decode(
            Uint8Array.from(
              records[0][1].match(/../g)!.map((h) => parseInt(h, 16)),
            ),
          ),
        );
        assert.equal(state.format, 1);
      }
      assert.deepEqual(
        log.listConsumers("a").map((c) => c.name),
        ["x", "y"],
      );
      assert.deepEqual(log.listConsumers("gone"), []);
    } finally {
      await log.close();
    }
  }, "mrecordlog-rust-rules-");
});
