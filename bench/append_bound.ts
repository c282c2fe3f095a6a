/**
 * The bound of an awaited `always/flush` append (issue 16): the least
 * JavaScript that can do what such an append must (lay the record out with
 * its header, CRC-32 of the frame with `node:zlib`, copy the payload into
 * memory kept for readers, one `write`, and resolve a promise the caller
 * awaits), beside one plain `write` per record (the floor, which the crate's
 * `Always(Flush)` runs below: see `bench/README.md`) and the library, in the
 * same process, alternating. 200,000 records of 256 B per figure; best of 5
 * rounds (a round's first figures discarded), by process CPU time and by
 * wall time.
 *
 * ```sh
 * deno run --allow-all bench/append_bound.ts
 * bun bench/append_bound.ts
 * ```
 *
 * @module
 */

import process from "node:process";
import { crc32 } from "node:zlib";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { MultiRecordLog } from "../mod.ts";

const RECORDS = 200_000;
const ROUNDS = 6;
const payload = crypto.getRandomValues(new Uint8Array(256));

interface RawFile {
  write(bytes: Uint8Array): void;
  close(): void;
}

/** The floor's file calls: `FsFile.writeSync` in Deno, `node:fs` elsewhere. */
function rawFile(path: string): RawFile {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (deno) {
    const file = deno.openSync(path, { write: true, create: true });
    return { write: (b) => void file.writeSync(b), close: () => file.close() };
  }
  const fd = openSync(path, "w");
  let at = 0;
  return {
    write: (b) => void (at += writeSync(fd, b, 0, b.length, at)),
    close: () => closeSync(fd),
  };
}

/** Times what runs between `start` and `stop`. */
interface Timer {
  start(): void;
  stop(): void;
}

function floor(dir: string, timer: Timer): void {
  const file = rawFile(`${dir}/floor`);
  timer.start();
  for (let i = 0; i < RECORDS; i++) file.write(payload);
  timer.stop();
  file.close();
}

/** The least an awaited append can do: frame, checksum, keep, write, resolve. */
async function skeleton(dir: string, timer: Timer): Promise<void> {
  const file = rawFile(`${dir}/skeleton`);
  const frame = new Uint8Array(64 * 1024);
  const view = new DataView(frame.buffer);
  let chunk = new Uint8Array(256 * 1024);
  let used = 0;
  const append = (p: Uint8Array, position: number) => {
    // Header, record prefix and item header: 30 bytes for queue "q".
    view.setUint32(7, position, true);
    frame.set(p, 30);
    const bytes = frame.subarray(0, 30 + p.length);
    view.setUint32(0, crc32(bytes.subarray(6)), true);
    if (used + p.length > chunk.length) {
      chunk = new Uint8Array(chunk.length);
      used = 0;
    }
    chunk.set(p, used);
    used += p.length;
    file.write(bytes);
    return Promise.resolve({ lastPosition: position, walBytesWritten: 286 });
  };
  timer.start();
  for (let i = 0; i < RECORDS; i++) await append(payload, i);
  timer.stop();
  file.close();
}

async function library(dir: string, timer: Timer): Promise<void> {
  const log = await MultiRecordLog.open(`${dir}/log`);
  await log.createQueue("q");
  const payloads = [payload];
  timer.start();
  for (let i = 0; i < RECORDS; i++) {
    await log.appendRecords("q", undefined, payloads);
  }
  timer.stop();
  await log.close();
}

const contenders = { floor, skeleton, library };
type Name = keyof typeof contenders;
const rates: Record<Name, { cpu: number; wall: number }[]> = {
  floor: [],
  skeleton: [],
  library: [],
};
for (let round = 0; round < ROUNDS; round++) {
  for (const name of Object.keys(contenders) as Name[]) {
    const dir = mkdtempSync(`${process.env.BENCH_TMPDIR ?? tmpdir()}/bound-`);
    try {
      let cpu0 = process.cpuUsage();
      let t0 = 0;
      let cpu = 0;
      let wall = 0;
      await contenders[name](dir, {
        start() {
          cpu0 = process.cpuUsage();
          t0 = performance.now();
        },
        stop() {
          wall = (performance.now() - t0) / 1000;
          const used = process.cpuUsage(cpu0);
          cpu = (used.user + used.system) / 1e6;
        },
      });
      if (round > 0) {
        rates[name].push({ cpu: RECORDS / cpu, wall: RECORDS / wall });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
const runtime = "Deno" in globalThis
  ? `Deno ${Deno.version.deno}`
  : `Bun ${(globalThis as { Bun?: { version: string } }).Bun?.version}`;
console.log(
  `${runtime}, ${
    new Date().toISOString()
  }: awaited always/flush, 256 B, ${RECORDS} records, best of ${ROUNDS - 1}`,
);
for (const how of ["cpu", "wall"] as const) {
  const best = (name: Name) => Math.max(...rates[name].map((r) => r[how]));
  const base = best("floor");
  console.log(
    `  by ${how === "cpu" ? "CPU time" : "wall time"}: ` +
      (Object.keys(rates) as Name[]).map((name) =>
        `${name} ${Math.round(best(name) / 1000)}k rec/s (${
          (best(name) / base).toFixed(2)
        }x the floor)`
      ).join(", "),
  );
}
