/**
 * The library's own CPU time per record, for the HTTP benchmark's "server
 * CPU per record within 3x of the library's append" target: the same
 * records, in batches of the same size, appended in this process with
 * `appendRecords` under `always/flush`, awaited one by one, timed with
 * `process.cpuUsage()` (user + system, all threads).
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { MultiRecordLog } from "../../mod.ts";

/**
 * CPU seconds per record of `appendRecords(queue, undefined, batch)` with
 * `batch` of `records` records of `recordBytes`, for about `seconds`
 * (after a warm-up of a tenth of that), on a fresh log in `parent`.
 */
export async function libraryCpuPerRecord(
  records: number,
  recordBytes: number,
  seconds: number,
  parent: string = tmpdir(),
): Promise<number> {
  const dir = mkdtempSync(`${parent}/http-bench-lib-`);
  try {
    const log = await MultiRecordLog.open(dir, {
      persistPolicy: { kind: "always", action: "flush" },
    });
    try {
      await log.createQueue("bench");
      const batch = Array.from({ length: records }, (_, i) => {
        const payload = new Uint8Array(recordBytes).fill(97);
        payload[0] = i & 0xff;
        return payload;
      });
      const timed = async (ms: number): Promise<[number, number]> => {
        const start = performance.now();
        const cpu = process.cpuUsage();
        let appended = 0;
        while (performance.now() - start < ms) {
          for (let i = 0; i < 16; i++) {
            await log.appendRecords("bench", undefined, batch);
          }
          appended += 16 * records;
        }
        const used = process.cpuUsage(cpu);
        return [(used.user + used.system) / 1e6, appended];
      };
      await timed(seconds * 100);
      const [cpu, appended] = await timed(seconds * 1000);
      return cpu / appended;
    } finally {
      await log.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
