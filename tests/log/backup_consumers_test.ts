// A backup of a log with consumers and retention limits: the copy opens with
// the same consumers, acks, limits and records, and the backup counts the
// queues as summary() does (the log's own state queues left out).
import { test } from "node:test";
import assert from "node:assert/strict";
import { MultiRecordLog } from "../../mod.ts";
import { backupLog } from "../../src/log/backup.ts";
import { utf8 } from "../support/bytes.ts";
import { withTempDir } from "../support/temp_dir.ts";

test("a backup keeps consumers and retention, and counts user queues only", () =>
  withTempDir(async (root) => {
    const dir = `${root}/log`;
    const log = await MultiRecordLog.open(dir);
    for (const q of ["a", "b", "plain"]) await log.createQueue(q);
    await log.createConsumer("a", "x");
    await log.createConsumer("a", "y", { from: 2 });
    await log.setRetention("b", { maxRecords: 3, discard: "old" });
    for (let i = 0; i < 6; i++) {
      for (const q of ["a", "b", "plain"]) {
        await log.appendRecord(q, undefined, utf8(`${q}${i}`));
      }
    }
    await log.ack("a", "x", 4);
    await log.ack("a", "y", 3);
    assert.equal(log.listQueues({ internal: true }).length, 5);

    const outcome = await log.backup(`${root}/live`);
    assert.equal(outcome.queues, 3);
    await log.close();
    assert.equal((await backupLog(dir, `${root}/closed`)).queues, 3);

    for (const copy of ["live", "closed"]) {
      const again = await MultiRecordLog.open(`${root}/${copy}`, {
        readOnly: true,
      });
      assert.deepEqual(again.listQueues(), ["a", "b", "plain"]);
      assert.deepEqual(again.listConsumers("a"), [
        { name: "x", acked: 4, lag: 1 },
        { name: "y", acked: 3, lag: 2 },
      ]);
      assert.deepEqual(again.retention("b"), { maxRecords: 3, discard: "old" });
      assert.deepEqual([...again.range("a")].map((r) => r.position), [4, 5]);
      assert.deepEqual([...again.range("b")].map((r) => r.position), [3, 4, 5]);
      await again.close();
    }
  }, "mrecordlog-backup-consumers-"));
