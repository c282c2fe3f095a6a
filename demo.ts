/**
 * A short demo of `@x/mrecordlog`: opens a log in a temporary directory,
 * appends to two queues, truncates, reopens and prints the summary.
 *
 * Run: `npm start` (or `deno task demo`, or `bun demo.ts`).
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { MultiRecordLog } from "./mod.ts";

const dir = mkdtempSync(`${tmpdir()}/mrecordlog-demo-`);
const text = new TextEncoder();
try {
  {
    await using log = await MultiRecordLog.open(dir, {
      persistPolicy: { kind: "always", action: "fsync" },
    });
    await log.createQueue("orders");
    await log.createQueue("clicks");
    for (let i = 0; i < 5; i++) {
      await log.appendRecord("orders", undefined, text.encode(`order #${i}`));
    }
    await log.appendRecords("clicks", 100, [
      text.encode("a"),
      text.encode("b"),
    ]);
    const { evictedRecords } = await log.truncate("orders", 2);
    console.log(
      `appended 5 orders and 2 clicks, truncated ${evictedRecords} orders`,
    );
  }
  await using log = await MultiRecordLog.open(dir);
  console.log(`reopened ${dir}:`);
  for (const queue of log.listQueues()) {
    const records = [...log.range(queue)].map((r) =>
      `${r.position}=${new TextDecoder().decode(r.payload)}`
    );
    console.log(`  ${queue}: ${records.join(", ")}`);
  }
  console.log(JSON.stringify(log.summary(), null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
