// Every single-byte flip and every truncation point of a small multi-block
// log, exhaustively: opening never throws (but the documented
// `CorruptionError` with `strict: true`), never returns a payload that was not
// written at that position, and keeps every record whose frames lie in blocks
// that were not touched. Runs on the memory file adapter for speed.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  CorruptionError,
  MemoryFileAdapter,
  MultiRecordLog,
} from "../../mod.ts";
import { xorshiftFill } from "../support/random_bytes.ts";

const BLOCK = 32_768;
const SEGMENT_BYTES = 4 * BLOCK;
const DIR = "/wal";
const FILE = `${DIR}/wal-00000000000000000000`;
const TIMEOUT = { timeout: 300_000 };

/** One record of the log as written: where its frames lie and what it holds. */
interface Written {
  queue: string;
  /** Positions and payloads (AppendRecords only). */
  items: { position: number; payload: Uint8Array }[];
  firstBlock: number;
  lastBlock: number;
}

interface Built {
  bytes: Uint8Array;
  end: number;
  records: Written[];
  /** Every payload written, by `queue \0 position`. */
  payloads: Map<string, Uint8Array>;
  /** The records of the final state, with the blocks their log record spans. */
  expected: { key: string; firstBlock: number; lastBlock: number }[];
}

function payloadOf(seed: number, length: number): Uint8Array {
  return xorshiftFill(new Uint8Array(length), (seed * 2654435761) >>> 0);
}

/** Builds a log of about 2.1 blocks: small, multi-frame and multi-item records in 2 queues. */
async function build(): Promise<Built> {
  const fs = new MemoryFileAdapter();
  const log = await MultiRecordLog.open(DIR, {
    fileAdapter: fs,
    segmentBytes: SEGMENT_BYTES,
    persistPolicy: { kind: "always", action: "flush" },
  });
  const records: Written[] = [];
  const payloads = new Map<string, Uint8Array>();
  let offset = 0;
  const track = (queue: string, walBytes: number, items: Written["items"]) => {
    const room = BLOCK - (offset % BLOCK);
    const start = offset + (room < 7 ? room : 0);
    offset += walBytes;
    records.push({
      queue,
      items,
      firstBlock: Math.floor(start / BLOCK),
      lastBlock: Math.floor((offset - 1) / BLOCK),
    });
  };
  const queues = ["alpha", "βeta"];
  for (const queue of queues) {
    track(queue, (await log.createQueue(queue)).walBytesWritten, []);
  }
  // Sizes chosen so that small records, batches of several items and empty
  // payloads fill block 0, then one record runs from block 0 through block 1
  // (a Middle frame) into block 2, where small records follow.
  const batches: [number, number[]][] = [
    [0, [0]],
    [1, [1, 2, 3]],
    [0, [700]],
    [1, [9_000]],
    [0, [120, 0, 64]],
    [1, [30]],
    [0, [2_500, 2_500]],
    [1, [400]],
    [0, [50_000]],
    [1, [5]],
    [0, [1_800, 600]],
    [1, [0, 0]],
    [0, [60]],
  ];
  let seed = 1;
  for (const [q, sizes] of batches) {
    const queue = queues[q];
    const start = (log.lastPosition(queue) ?? -1) + 1;
    const items = sizes.map((size, i) => ({
      position: start + i,
      payload: payloadOf(seed++, size),
    }));
    const outcome = await log.appendRecords(
      queue,
      undefined,
      items.map((item) => item.payload),
    );
    for (const { position, payload } of items) {
      payloads.set(`${queue}\0${position}`, payload);
    }
    track(queue, outcome.walBytesWritten, items);
    if (q === 1 && sizes[0] === 30) {
      track(queue, (await log.truncate(queue, 1)).walBytesWritten, []);
    }
  }
  const expectedKeys = new Set<string>();
  for (const queue of queues) {
    for (const { position } of log.range(queue)) {
      expectedKeys.add(`${queue}\0${position}`);
    }
  }
  await log.close();
  const expected: Built["expected"] = [];
  for (const record of records) {
    for (const { position } of record.items) {
      const key = `${record.queue}\0${position}`;
      if (expectedKeys.has(key)) {
        expected.push({
          key,
          firstBlock: record.firstBlock,
          lastBlock: record.lastBlock,
        });
      }
    }
  }
  const bytes = fs.readFileBytes(FILE).slice(0, 3 * BLOCK);
  return { bytes, end: offset, records, payloads, expected };
}

const built = await build();

/**
 * Opens `bytes` as the only log file and checks the state against what was
 * written. `touchedFrom`/`touchedTo` are the damaged blocks (inclusive).
 * Returns the recovered keys.
 */
async function openAndCheck(
  bytes: Uint8Array,
  touchedFrom: number,
  touchedTo: number,
  label: string,
  options: { strict?: boolean; appendAfter?: boolean } = {},
): Promise<void> {
  const fs = new MemoryFileAdapter();
  fs.writeFileBytes(FILE, bytes);
  let log: MultiRecordLog;
  try {
    log = await MultiRecordLog.open(DIR, {
      fileAdapter: fs,
      segmentBytes: SEGMENT_BYTES,
      strict: options.strict ?? false,
      onWarning: () => {},
    });
  } catch (error) {
    if (options.strict && error instanceof CorruptionError) return;
    throw new Error(`${label}: open threw ${error}`, { cause: error });
  }
  const seen = checkState(log, label);
  for (const { key, firstBlock, lastBlock } of built.expected) {
    if (lastBlock < touchedFrom || firstBlock > touchedTo) {
      if (!seen.has(key)) {
        await log.close();
        assert.fail(
          `${label}: record ${
            key.replace("\0", "@")
          } (blocks ${firstBlock}..${lastBlock}) lost`,
        );
      }
    }
  }
  if (options.appendAfter) {
    // Writing resumes where the valid data ends: a new record is readable
    // after reopening, and nothing read before was clobbered.
    const queue = log.listQueues()[0] ?? "alpha";
    if (!log.queueExists(queue)) await log.createQueue(queue);
    const next = (log.lastPosition(queue) ?? -1) + 1;
    const extra = payloadOf(999_999, 3_000);
    await log.appendRecord(queue, undefined, extra);
    await log.close();
    const again = await MultiRecordLog.open(DIR, {
      fileAdapter: fs,
      segmentBytes: SEGMENT_BYTES,
      onWarning: () => {},
    });
    const found = [...again.range(queue, { from: next, to: next })];
    assert.equal(found.length, 1, `${label}: appended record lost`);
    assert.deepEqual(found[0].payload, extra, `${label}: appended record`);
    const after = new Set<string>();
    for (const q of again.listQueues()) {
      for (const { position } of again.range(q)) after.add(`${q}\0${position}`);
    }
    for (const key of seen) {
      assert.ok(after.has(key), `${label}: ${key} lost by writing after it`);
    }
    await again.close();
  } else {
    await log.close();
  }
}

/** Checks every record returned was written at that position; returns their keys. */
function checkState(log: MultiRecordLog, label: string): Set<string> {
  const seen = new Set<string>();
  for (const queue of log.listQueues()) {
    for (const { position, payload } of log.range(queue)) {
      const key = `${queue}\0${position}`;
      const written = built.payloads.get(key);
      if (written === undefined || !sameBytes(written, payload)) {
        assert.fail(
          `${label}: queue ${JSON.stringify(queue)} position ${position} ` +
            `returned a payload that was not written there`,
        );
      }
      seen.add(key);
    }
  }
  return seen;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe("an exhaustively damaged multi-block log", () => {
  test("the log under test spans three blocks, one record across all three", async () => {
    assert.ok(built.end > 2 * BLOCK && built.end < 3 * BLOCK);
    // One record has a First frame in block 0, a Middle frame filling block 1
    // and a Last frame in block 2; other records lie in blocks 0 and 2.
    assert.ok(
      built.records.some((r) => r.firstBlock === 0 && r.lastBlock === 2),
    );
    assert.ok(built.expected.filter((r) => r.lastBlock === 0).length >= 8);
    assert.ok(built.expected.filter((r) => r.firstBlock === 2).length >= 4);
    assert.ok(built.expected.length >= 12);
    // Undamaged, it opens cleanly with every record.
    await openAndCheck(built.bytes, Infinity, Infinity, "intact", {
      strict: true,
      appendAfter: true,
    });
  });

  for (let from = 0; from < 3; from++) {
    test(`every single-byte flip in block ${from}`, TIMEOUT, async () => {
      const bytes = built.bytes;
      const stop = Math.min(built.end, (from + 1) * BLOCK);
      for (let i = from * BLOCK; i < stop; i++) {
        bytes[i] ^= 0xff;
        try {
          const block = Math.floor(i / BLOCK);
          await openAndCheck(bytes, block, block, `flip at ${i}`, {
            appendAfter: i % 61 === 0,
          });
          if (i % 17 === 0) {
            await openAndCheck(bytes, block, block, `strict flip at ${i}`, {
              strict: true,
            });
          }
        } finally {
          bytes[i] ^= 0xff;
        }
      }
    });
  }

  test("every truncation point", TIMEOUT, async () => {
    for (let length = 0; length <= built.end; length++) {
      const cut = built.bytes.subarray(0, length);
      const touched = Math.floor(length / BLOCK);
      await openAndCheck(cut, touched, Infinity, `truncated to ${length}`, {
        appendAfter: length % 61 === 0,
      });
      if (length % 17 === 0) {
        await openAndCheck(cut, touched, Infinity, `strict cut ${length}`, {
          strict: true,
        });
      }
    }
  });
});
