import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  checkOptionalPosition,
  checkPayload,
  checkPosition,
  MAX_QUEUE_NAME_BYTES,
  queueNameBytes,
} from "../src/arguments.ts";
import { MemoryFileAdapter, MultiRecordLog } from "../mod.ts";
import {
  type ArgumentErrorClass,
  rejectsNaming,
  throwsNaming,
} from "./support/assertions.ts";
import { utf8 } from "./support/bytes.ts";

const BAD_POSITIONS: [unknown, ArgumentErrorClass][] = [
  [NaN, RangeError],
  [-1, RangeError],
  [1.5, RangeError],
  [2 ** 53, RangeError],
  [Infinity, RangeError],
  [-0.5, RangeError],
  ["3", TypeError],
  [3n, TypeError],
  [null, TypeError],
];

describe("queue names", () => {
  it("returns the UTF-8 bytes of a valid name", () => {
    assert.deepEqual(queueNameBytes("q"), utf8("q"));
    assert.deepEqual(queueNameBytes("é😀"), utf8("é😀"));
  });

  it("rejects non-strings with TypeError and the empty name with RangeError", () => {
    for (const name of [1, undefined, null, {}, utf8("q")]) {
      throwsNaming(() => queueNameBytes(name), TypeError, "queue");
    }
    throwsNaming(() => queueNameBytes(""), RangeError, "queue");
  });

  it("rejects lone surrogates with TypeError", () => {
    for (const name of ["\ud800", "a\udc00b", "x\ud83d"]) {
      throwsNaming(() => queueNameBytes(name), TypeError, "queue");
    }
    assert.equal(queueNameBytes("\ud83d\ude00").length, 4); // a proper pair
  });

  it("accepts 65,535 UTF-8 bytes and rejects 65,536", () => {
    assert.equal(MAX_QUEUE_NAME_BYTES, 65_535);
    assert.equal(queueNameBytes("a".repeat(65_535)).length, 65_535);
    throwsNaming(() => queueNameBytes("a".repeat(65_536)), RangeError, "queue");
    // Counted in bytes, not UTF-16 code units: 32,768 x "é" is 65,536 bytes.
    throwsNaming(() => queueNameBytes("é".repeat(32_768)), RangeError, "queue");
    assert.equal(queueNameBytes("é".repeat(32_767) + "a").length, 65_535);
  });
});

describe("positions and payloads", () => {
  it("accepts non-negative safe integers", () => {
    for (const value of [0, 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      assert.equal(checkPosition(value, "position"), value);
    }
    assert.equal(checkOptionalPosition(undefined, "from"), undefined);
    assert.equal(checkOptionalPosition(7, "from"), 7);
  });

  it("rejects NaN, -1, 1.5, 2^53 with RangeError and non-numbers with TypeError, naming the argument", () => {
    for (const [value, type] of BAD_POSITIONS) {
      throwsNaming(() => checkPosition(value, "pos-arg"), type, "pos-arg");
      throwsNaming(
        () => checkOptionalPosition(value, "to-arg"),
        type,
        "to-arg",
      );
    }
  });

  it("accepts Uint8Array payloads (subclasses too) and rejects anything else", () => {
    const bytes = new Uint8Array(3);
    assert.equal(checkPayload(bytes, "payload"), bytes);
    const sub = new (class extends Uint8Array {})(2);
    assert.equal(checkPayload(sub, "payload"), sub);
    for (
      const value of [
        "abc",
        new ArrayBuffer(3),
        [1, 2],
        new Uint16Array(2),
        undefined,
      ]
    ) {
      throwsNaming(
        () => checkPayload(value, "payloads[3]"),
        TypeError,
        "payloads[3]",
      );
    }
  });
});

describe("argument checks of the MultiRecordLog API", () => {
  async function openLog(): Promise<MultiRecordLog> {
    const log = await MultiRecordLog.open("/wal", {
      fileAdapter: new MemoryFileAdapter(),
    });
    await log.createQueue("q");
    await log.appendRecord("q", undefined, utf8("x"));
    return log;
  }

  it("checks queue names everywhere", async () => {
    const log = await openLog();
    const bad: [unknown, ArgumentErrorClass][] = [
      [1, TypeError],
      ["", RangeError],
      ["\udfff", TypeError],
      ["a".repeat(65_536), RangeError],
    ];
    for (const [name, type] of bad) {
      const q = name as string;
      await rejectsNaming(() => log.createQueue(q), type, "queue");
      throwsNaming(() => log.queueExists(q), type, "queue");
      await rejectsNaming(() => log.deleteQueue(q), type, "queue");
      await rejectsNaming(
        () => log.appendRecord(q, undefined, utf8("x")),
        type,
        "queue",
      );
      await rejectsNaming(() => log.truncate(q, 0), type, "queue");
      throwsNaming(() => log.range(q), type, "queue");
      throwsNaming(() => log.lastPosition(q), type, "queue");
      throwsNaming(() => log.lastRecord(q), type, "queue");
    }
    assert.deepEqual(log.listQueues(), ["q"]);
    await log.close();
  });

  it("creates, reopens and reads a queue with a 65,535-byte name", async () => {
    const fs = new MemoryFileAdapter();
    const name = "n".repeat(65_534) + "!";
    const log = await MultiRecordLog.open("/wal", { fileAdapter: fs });
    await log.createQueue(name);
    await log.appendRecord(name, undefined, utf8("payload"));
    await log.close();
    const again = await MultiRecordLog.open("/wal", { fileAdapter: fs });
    assert.deepEqual(again.listQueues(), [name]);
    assert.equal(again.lastPosition(name), 0);
    await again.close();
  });

  it("checks positions of appendRecord(s), truncate and range, naming them", async () => {
    const log = await openLog();
    for (const [value, type] of BAD_POSITIONS) {
      const p = value as number;
      await rejectsNaming(
        () => log.appendRecord("q", p, utf8("x")),
        type,
        "position",
      );
      await rejectsNaming(
        () => log.appendRecords("q", p, [utf8("x")]),
        type,
        "position",
      );
      await rejectsNaming(() => log.truncate("q", p), type, "position");
      throwsNaming(() => log.range("q", { from: p }), type, "from");
      throwsNaming(() => log.range("q", { to: p }), type, "to");
    }
    assert.equal(log.lastPosition("q"), 0);
    assert.equal([...log.range("q")].length, 1);
    await log.close();
  });

  it("rejects a batch whose last position would pass 2^53 - 1", async () => {
    const log = await openLog();
    const max = Number.MAX_SAFE_INTEGER;
    // (max - 1) + 3 - 1 rounds back to max in floating point: the check must
    // not be fooled by it.
    for (const [start, count] of [[max - 1, 3], [max, 2], [max - 5, 8]]) {
      const payloads = Array.from({ length: count }, () => utf8("p"));
      await assert.rejects(
        () => log.appendRecords("q", start, payloads),
        RangeError,
        `start ${start}, ${count} records`,
      );
    }
    assert.equal(log.lastPosition("q"), 0);
    for (const record of log.range("q")) {
      assert.ok(Number.isSafeInteger(record.position));
    }
    await log.close();
  });

  it("appends up to position 2^53 - 1, then refuses more", async () => {
    const log = await openLog();
    const max = Number.MAX_SAFE_INTEGER;
    const { lastPosition } = await log.appendRecords("q", max - 1, [
      utf8("a"),
      utf8("b"),
    ]);
    assert.equal(lastPosition, max);
    await assert.rejects(
      () => log.appendRecord("q", undefined, utf8("c")),
      RangeError,
    );
    assert.equal(log.lastPosition("q"), max);
    assert.deepEqual([...log.range("q")].map((r) => r.position), [
      0,
      max - 1,
      max,
    ]);
    await log.close();
  });

  it("checks payloads, naming the bad one", async () => {
    const log = await openLog();
    await rejectsNaming(
      () =>
        log.appendRecords("q", undefined, [
          utf8("ok"),
          "no" as unknown as Uint8Array,
        ]),
      TypeError,
      "payloads[1]",
    );
    await rejectsNaming(
      () =>
        log.appendRecords("q", undefined, utf8("x") as unknown as Uint8Array[]),
      TypeError,
      "payloads",
    );
    await assert.rejects(
      () =>
        log.appendRecord(
          "q",
          undefined,
          new ArrayBuffer(2) as unknown as Uint8Array,
        ),
      TypeError,
    );
    assert.equal(log.lastPosition("q"), 0);
    await log.close();
  });

  it("checks open options, naming them", async () => {
    const fileAdapter = new MemoryFileAdapter();
    for (const segmentBytes of [0, -32768, 1000, 32768.5, NaN, 32769]) {
      await rejectsNaming(
        () => MultiRecordLog.open("/wal", { fileAdapter, segmentBytes }),
        RangeError,
        "segmentBytes",
      );
    }
    for (const memoryLimitBytes of [0, -1, NaN]) {
      await rejectsNaming(
        () => MultiRecordLog.open("/wal", { fileAdapter, memoryLimitBytes }),
        RangeError,
        "memoryLimitBytes",
      );
    }
    await assert.rejects(
      () => MultiRecordLog.open("", { fileAdapter }),
      (e) => e instanceof TypeError && /dir/.test(e.message),
    );
    await assert.rejects(
      () => MultiRecordLog.open(3 as unknown as string, { fileAdapter }),
      TypeError,
    );
    // Nothing was left locked by the refused opens.
    const log = await MultiRecordLog.open("/wal", { fileAdapter });
    await log.close();
  });
});
