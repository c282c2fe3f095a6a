import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MultiRecordLog } from "../../src/log/multi_record_log.ts";
import { MemoryFileAdapter } from "../../src/testing/memory_file_adapter.ts";
import { summaryJson } from "../../src/wire/summary_json.ts";
import { utf8 } from "../support/bytes.ts";

describe("summaryJson", () => {
  test("queues with null for what they lack, files by name, memory", async () => {
    await using log = await MultiRecordLog.open("/wal", {
      fileAdapter: new MemoryFileAdapter(),
      segmentBytes: 32 * 1024,
    });
    await log.createQueue("b");
    await log.createQueue("a");
    await log.appendRecords("b", undefined, [utf8("one"), utf8("three")]);
    await log.truncate("b", 1);
    await log.createQueue("c");
    await log.appendRecords("c", undefined, [utf8("xy")]);
    const summary = summaryJson(log);
    assert.deepEqual(summary.queues, {
      a: {
        firstPosition: null,
        lastPosition: null,
        nextPosition: 0,
        recordCount: 0,
        payloadBytes: 0,
      },
      b: {
        firstPosition: null,
        lastPosition: 1,
        nextPosition: 2,
        recordCount: 0,
        payloadBytes: 0,
      },
      c: {
        firstPosition: 0,
        lastPosition: 0,
        nextPosition: 1,
        recordCount: 1,
        payloadBytes: 2,
      },
    });
    assert.deepEqual(Object.keys(summary.queues), ["a", "b", "c"]);
    assert.deepEqual(summary.files, [
      { name: "wal-00000000000000000000", bytes: 32 * 1024 },
    ]);
    assert.deepEqual(summary.memory, { retainedBytes: 2, limitBytes: null });
    // The file is 32 KiB long, but what it occupies is its written extent.
    assert.deepEqual(summary.disk, {
      usedBytes: log.resourceUsage().diskUsedBytes,
      limitBytes: null,
    });
    assert.equal(summary.disk.usedBytes, 4096);
    assert.equal(summary.corruptionsSkippedOnOpen, 0);
    // Plain JSON: it survives a round trip unchanged.
    assert.deepEqual(JSON.parse(JSON.stringify(summary)), summary);
  });

  test("the memory and disk limits when there are", async () => {
    await using log = await MultiRecordLog.open("/wal", {
      fileAdapter: new MemoryFileAdapter(),
      memoryLimitBytes: 1000,
      segmentBytes: 32 * 1024,
      diskLimitBytes: 64 * 1024,
    });
    assert.deepEqual(summaryJson(log).memory, {
      retainedBytes: 0,
      limitBytes: 1000,
    });
    assert.equal(summaryJson(log).disk.limitBytes, 64 * 1024);
  });
});
