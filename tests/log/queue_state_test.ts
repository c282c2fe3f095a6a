import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryFileAdapter, MultiRecordLog } from "../../mod.ts";
import {
  decodeQueueState,
  encodeQueueState,
  type QueueState,
} from "../../src/log/queue_state.ts";
import { STATE_QUEUE_PREFIX } from "../../src/log/state_queue_names.ts";
import { LogBuilder, writeLogFiles } from "../support/log_bytes.ts";
import { text, utf8 } from "../support/bytes.ts";

const DIR = "/wal";
const STATE_Q = STATE_QUEUE_PREFIX + "q";

/** The state record of consumers `[name, from, acked]` and `retention`. */
function stateRecord(
  consumers: [string, number, number | null][],
  retention: unknown = null,
): string {
  return JSON.stringify({
    format: 1,
    consumers: consumers.map(([name, from, acked]) => ({ name, from, acked })),
    retention,
  });
}

/** Opens a log made of `builder`'s records, collecting warnings. */
async function openBuilt(
  builder: LogBuilder,
  readOnly = false,
): Promise<{ log: MultiRecordLog; warnings: string[]; fs: MemoryFileAdapter }> {
  const fs = new MemoryFileAdapter();
  writeLogFiles(fs, DIR, [builder.bytes()]);
  const warnings: string[] = [];
  const log = await MultiRecordLog.open(DIR, {
    fileAdapter: fs,
    readOnly,
    onWarning: (w) => warnings.push(w),
  });
  return { log, warnings, fs };
}

describe("the state record", () => {
  it("round-trips consumers and retention as JSON, format 1", () => {
    const state: QueueState = {
      consumers: new Map([
        ["indexer", { from: 0, acked: 41 }],
        ['é "quoted"', { from: 7, acked: undefined }],
      ]),
      retention: { maxRecords: 100, discard: "old" },
    };
    const bytes = encodeQueueState(state);
    assert.deepEqual(JSON.parse(text(bytes)), {
      format: 1,
      consumers: [
        { name: "indexer", from: 0, acked: 41 },
        { name: 'é "quoted"', from: 7, acked: null },
      ],
      retention: { maxRecords: 100, maxBytes: null, discard: "old" },
    });
    assert.deepEqual(decodeQueueState(bytes), state);
    const none: QueueState = { consumers: new Map(), retention: undefined };
    assert.deepEqual(decodeQueueState(encodeQueueState(none)), none);
  });

  it("refuses what this version does not read", () => {
    for (
      const bad of [
        "not json",
        `{"format":2,"consumers":[],"retention":null}`,
        `{"format":1,"retention":null}`,
        `{"format":1,"consumers":[{"name":"a","from":-1,"acked":null}],"retention":null}`,
        `{"format":1,"consumers":[{"name":"a","from":0,"acked":1.5}],"retention":null}`,
        `{"format":1,"consumers":[{"name":"a","from":0,"acked":null},{"name":"a","from":0,"acked":null}],"retention":null}`,
        `{"format":1,"consumers":[],"retention":{"maxRecords":null,"maxBytes":null,"discard":"old"}}`,
        `{"format":1,"consumers":[],"retention":{"maxRecords":0,"maxBytes":null,"discard":"old"}}`,
        `{"format":1,"consumers":[],"retention":{"maxRecords":5,"maxBytes":null,"discard":"x"}}`,
      ]
    ) {
      assert.throws(() => decodeQueueState(utf8(bad)), Error, bad);
    }
  });
});

describe("consumers and retention read back on open", () => {
  it("apply the last state record of each state queue", async () => {
    const { log, warnings } = await openBuilt(
      new LogBuilder()
        .touch("q", 0)
        .append("q", 0, ["a", "b", "c", "d"])
        .append(STATE_Q, 0, [stateRecord([["x", 0, null]])])
        .append(STATE_Q, 1, [
          stateRecord([["x", 0, 0], ["y", 2, null]], {
            maxRecords: null,
            maxBytes: 100,
            discard: "new",
          }),
        ]),
    );
    assert.deepEqual(warnings, []);
    assert.deepEqual(log.listConsumers("q"), [
      { name: "x", acked: 0, lag: 3 },
      { name: "y", acked: undefined, lag: 2 },
    ]);
    assert.deepEqual(log.retention("q"), { maxBytes: 100, discard: "new" });
    // Repaired: the state queue holds one record again.
    const summary = log.summary({ internal: true });
    assert.equal(summary.queues[STATE_Q].recordCount, 1);
    await log.close();
  });

  it("truncate a queue whose consumers all acknowledged records it still holds (a crash before the Truncate)", async () => {
    const { log } = await openBuilt(
      new LogBuilder()
        .touch("q", 0)
        .append("q", 0, ["a", "b", "c", "d", "e"])
        .append(STATE_Q, 0, [stateRecord([["x", 0, 3], ["y", 0, 2]])]),
    );
    assert.deepEqual([...log.range("q")].map((r) => r.position), [3, 4]);
    await log.close();
  });

  it("trim a queue over its retention limits that discards old records (a crash between an append and its truncation)", async () => {
    const retention = { maxRecords: 2, maxBytes: null, discard: "old" };
    const { log } = await openBuilt(
      new LogBuilder()
        .touch("q", 0)
        .touch("r", 0)
        .append(STATE_Q, 0, [stateRecord([], retention)])
        .append(STATE_QUEUE_PREFIX + "r", 0, [
          stateRecord([], { ...retention, discard: "new" }),
        ])
        .append("q", 0, ["a", "b", "c", "d"])
        .append("r", 0, ["a", "b", "c"]),
    );
    assert.deepEqual([...log.range("q")].map((r) => r.position), [2, 3]);
    assert.deepEqual([...log.range("r")].map((r) => r.position), [0, 1, 2]);
    await log.close();
  });

  it("bring an ack past the queue's end back to it, so the next records appended there are read", async () => {
    const built = await openBuilt(
      new LogBuilder()
        .touch("q", 0)
        .append("q", 0, ["a", "b"])
        .append(STATE_Q, 0, [stateRecord([["x", 0, 9], ["late", 5, 9]])]),
    );
    let log = built.log;
    assert.deepEqual(log.listConsumers("q"), [
      { name: "late", acked: undefined, lag: 0 },
      { name: "x", acked: 1, lag: 0 },
    ]);
    await log.appendRecord("q", undefined, utf8("c"));
    await log.close();
    log = await MultiRecordLog.open(DIR, { fileAdapter: built.fs });
    assert.deepEqual(log.listConsumers("q"), [
      { name: "late", acked: undefined, lag: 0 },
      { name: "x", acked: 1, lag: 1 },
    ]);
    await log.close();
  });

  it("delete a state queue whose queue is gone, and skip an unreadable one with a warning", async () => {
    const { log, warnings } = await openBuilt(
      new LogBuilder()
        .touch("q", 0)
        .append(STATE_QUEUE_PREFIX + "gone", 0, [stateRecord([["x", 0, null]])])
        .append(STATE_Q, 0, ["{broken"]),
    );
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      /consumers and retention of queue "q" are unreadable/,
    );
    assert.deepEqual(log.listConsumers("q"), []);
    assert.deepEqual(log.listQueues({ internal: true }), [STATE_Q, "q"]);
    await log.close();
  });

  it("read-only: apply the state without repairing anything", async () => {
    const { log, fs } = await openBuilt(
      new LogBuilder()
        .touch("q", 0)
        .append("q", 0, ["a", "b", "c"])
        .append(STATE_QUEUE_PREFIX + "gone", 0, [stateRecord([])])
        .append(STATE_Q, 0, [stateRecord([["x", 0, 1]])]),
      true,
    );
    assert.deepEqual(log.listConsumers("q"), [
      { name: "x", acked: 1, lag: 1 },
    ]);
    assert.equal([...log.range("q")].length, 3);
    assert.equal(log.listQueues({ internal: true }).length, 3);
    assert.equal(fs.stats.bytesWritten, 0);
    await log.close();
  });
});
