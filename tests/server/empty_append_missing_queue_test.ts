/**
 * An append request without records (empty body, blank lines, `[]`) is
 * answered 200 with count 0 at any position of an existing queue, but the
 * queue must still exist when it is planned: a queue deleted while the body
 * was read (the route checks it before reading) or a closed log answers as a
 * request with records does (404 `MissingQueueError`, `LogClosedError`), as
 * before empty appends were planned as is.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LogClosedError, MissingQueueError } from "../../src/errors.ts";
import { MultiRecordLog } from "../../src/log/multi_record_log.ts";
import { planAppend } from "../../src/server/exact_append.ts";
import { MemoryFileAdapter } from "../../src/testing/memory_file_adapter.ts";

describe("planAppend without records", () => {
  test("plans nothing at any position of an existing queue", async () => {
    await using log = await MultiRecordLog.open("/wal", {
      fileAdapter: new MemoryFileAdapter(),
    });
    await log.createQueue("q");
    await log.appendRecords("q", undefined, [new Uint8Array([1])]);
    for (const position of [undefined, 0, 1, 5]) {
      assert.deepEqual(planAppend(log, "q", position, []), {
        first: position,
        skip: 0,
      });
    }
  });

  test("raises MissingQueueError for a queue that does not exist", async () => {
    await using log = await MultiRecordLog.open("/wal", {
      fileAdapter: new MemoryFileAdapter(),
    });
    await log.createQueue("q");
    await log.deleteQueue("q");
    for (const position of [undefined, 0, 3]) {
      assert.throws(
        () => planAppend(log, "q", position, []),
        MissingQueueError,
      );
    }
  });

  test("raises LogClosedError once the log is closed", async () => {
    const log = await MultiRecordLog.open("/wal", {
      fileAdapter: new MemoryFileAdapter(),
    });
    await log.createQueue("q");
    await log.close();
    assert.throws(() => planAppend(log, "q", undefined, []), LogClosedError);
  });
});
