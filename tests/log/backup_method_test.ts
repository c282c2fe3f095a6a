import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MultiRecordLog } from "../../mod.ts";
import { utf8 } from "../support/bytes.ts";
import { stateOf } from "../support/log_state.ts";
import { withTempDir } from "../support/temp_dir.ts";

describe("MultiRecordLog.backup", () => {
  it("copies the open log, appends not yet awaited and consumers included; the copy opens with the same state", async () => {
    await withTempDir(async (dir) => {
      const log = await MultiRecordLog.open(`${dir}/log`, {
        segmentBytes: 32768,
      });
      await log.createQueue("q");
      for (let i = 0; i < 100; i++) {
        await log.appendRecord("q", undefined, new Uint8Array(900).fill(i));
      }
      await log.createConsumer("q", "c");
      await log.ack("q", "c", 9);
      await log.setRetention("q", { maxRecords: 1000, discard: "new" });
      const pending = log.appendRecord("q", undefined, utf8("last"));
      const outcome = await log.backup(`${dir}/copy`);
      await pending;
      assert.equal(outcome.destDir, `${dir}/copy`);
      assert.ok(outcome.files.length >= 3);
      const state = stateOf(log);
      await log.close();
      await assert.rejects(log.backup(`${dir}/other`), /closed/);
      const copy = await MultiRecordLog.open(`${dir}/copy`);
      assert.deepEqual(stateOf(copy), state);
      assert.deepEqual(copy.listConsumers("q"), [
        { name: "c", acked: 9, lag: 91 },
      ]);
      assert.deepEqual(copy.retention("q"), {
        maxRecords: 1000,
        discard: "new",
      });
      await assert.rejects(copy.backup(`${dir}/copy`), Error);
      await copy.close();
    }, "mrecordlog-backup-method-");
  });
});
