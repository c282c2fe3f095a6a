/**
 * The contenders of the append benchmarks — the library, the raw floor, the
 * raw floor in >= 1 MiB chunks, and SQLite (a table without index, and one
 * keyed by queue and position) — and one timed iteration of a
 * workload. Runtime-neutral: the floor and SQLite come from a
 * {@linkcode Backend}.
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { setImmediate } from "node:timers";
import { MultiRecordLog } from "../../mod.ts";
import type { Backend } from "./backend.ts";
import { discardingFileAdapter } from "./discarding_file_adapter.ts";
import type { TimingHooks } from "./driver.ts";
import type { BenchConfig, Workload } from "./workloads.ts";

/** Who is measured. */
export type ContenderName =
  | "mrecordlog"
  | "floor"
  | "floor-1MiB"
  | "sqlite"
  | "sqlite-keyed";

/**
 * One figure to measure: a contender running a workload. Figures that do
 * not depend on every property of the workload (the floor does not see
 * queues; SQLite is synchronous, so concurrency does not change what it
 * does) share a key and are measured once per run, with the first workload
 * that needs them.
 */
export interface Measurement {
  /** The contender. */
  contender: ContenderName;
  /** The key its figure is stored under. */
  key: string;
  /** The workload it runs. */
  workload: Workload;
}

/** The keys of the figures a workload's ratios are computed from. */
export interface WorkloadKeys {
  /** The library on this workload. */
  library: string;
  /** The raw floor batched the same way. */
  floor: string;
  /** SQLite with the same durability, batch and queues; no index. */
  sqlite: string;
  /** The same with `PRIMARY KEY (queue, position)`. */
  sqliteKeyed: string;
  /** For `always/fsync` with 1,000 in flight: the floor in >= 1 MiB chunks. */
  floorChunked: string | undefined;
}

/** The figure keys of `w`. */
export function workloadKeys(w: Workload): WorkloadKeys {
  const size = `${w.recordBytes}B`;
  const group = w.durability === "fsync" ? ` sync-every-${w.concurrency}` : "";
  return {
    library: `mrecordlog ${w.id}`,
    floor: `floor ${w.durability} ${size} x${w.batch}${group}`,
    sqlite: `sqlite ${w.durability} ${size} x${w.batch} q${w.queues}`,
    sqliteKeyed:
      `sqlite-keyed ${w.durability} ${size} x${w.batch} q${w.queues}`,
    floorChunked: w.durability === "fsync" && w.mode === "inflight"
      ? `floor-1MiB ${size}`
      : undefined,
  };
}

/**
 * The measurements to run, grouped by workload, each shared key only once
 * (with the first workload that needs it).
 */
export function measurementPlan(
  workloads: readonly Workload[],
): { workload: Workload; measurements: Measurement[] }[] {
  const seen = new Set<string>();
  return workloads.map((workload) => {
    const keys = workloadKeys(workload);
    const measurements: Measurement[] = [];
    const add = (contender: ContenderName, key: string | undefined) => {
      if (key === undefined || seen.has(key)) return;
      seen.add(key);
      measurements.push({ contender, key, workload });
    };
    add("floor", keys.floor);
    add("mrecordlog", keys.library);
    add("sqlite", keys.sqlite);
    add("sqlite-keyed", keys.sqliteKeyed);
    add("floor-1MiB", keys.floorChunked);
    return { workload, measurements };
  });
}

interface Session {
  /** Records the timed part appends. */
  records: number;
  run(): Promise<void> | void;
  close(): Promise<void> | void;
}

/**
 * Runs one iteration of `m` in a fresh temporary directory: untimed setup,
 * the timed appends, untimed teardown and deletion. Returns the records
 * appended per second.
 */
export async function runIteration(
  backend: Backend,
  m: Measurement,
  config: BenchConfig,
  hooks?: TimingHooks,
): Promise<number> {
  const dir = mkdtempSync(`${config.tmpRoot}/mrecordlog-bench-`);
  try {
    const session = await openSession(backend, m, dir);
    let seconds: number;
    try {
      hooks?.start();
      const t0 = performance.now();
      await session.run();
      seconds = (performance.now() - t0) / 1000;
      hooks?.end();
    } finally {
      await session.close();
    }
    return session.records / seconds;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function openSession(
  backend: Backend,
  m: Measurement,
  dir: string,
): Promise<Session> | Session {
  switch (m.contender) {
    case "mrecordlog":
      return librarySession(m.workload, dir);
    case "floor":
      return floorSession(backend, m.workload, dir);
    case "floor-1MiB":
      return chunkedFloorSession(backend, m.workload, dir);
    case "sqlite":
      return sqliteSession(backend, m.workload, dir, false);
    case "sqlite-keyed":
      return sqliteSession(backend, m.workload, dir, true);
  }
}

/** `count` payloads of `bytes` random bytes each. */
export function randomPayloads(count: number, bytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const payload = new Uint8Array(bytes);
    for (let at = 0; at < bytes; at += 65536) {
      crypto.getRandomValues(payload.subarray(at, Math.min(bytes, at + 65536)));
    }
    out.push(payload);
  }
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function queueNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `queue-${i}`);
}

async function librarySession(w: Workload, dir: string): Promise<Session> {
  const log = await MultiRecordLog.open(dir, {
    persistPolicy: { kind: "always", action: w.durability },
    prewriteSegments: w.prewriteSegments,
    fileAdapter: w.discardWrites ? discardingFileAdapter() : undefined,
  });
  const names = queueNames(w.queues);
  for (const name of names) await log.createQueue(name);
  const payloads = randomPayloads(w.batch, w.recordBytes);
  return {
    records: w.appends * w.batch,
    async run() {
      if (w.concurrency === 1) {
        for (let i = 0; i < w.appends; i++) {
          await log.appendRecords(names[i % names.length], undefined, payloads);
        }
        return;
      }
      let next = 0;
      const io = w.mode === "appenders-io";
      const task = async () => {
        while (next < w.appends) {
          const i = next++;
          if (io) await new Promise((resolve) => setImmediate(resolve));
          await log.appendRecords(names[i % names.length], undefined, payloads);
        }
      };
      await Promise.all(Array.from({ length: w.concurrency }, task));
    },
    async close() {
      let records = 0;
      for (const name of names) records += (log.lastPosition(name) ?? -1) + 1;
      await log.close();
      if (records !== w.appends * w.batch) {
        throw new Error(
          `${w.id}: ${records} records appended, expected ${
            w.appends * w.batch
          }`,
        );
      }
    },
  };
}

function floorSession(backend: Backend, w: Workload, dir: string): Session {
  const batch = concat(randomPayloads(w.batch, w.recordBytes));
  const file = backend.createFile(`${dir}/floor`, w.appends * batch.length);
  // Durable: one fdatasync per `concurrency` appends, the best a group commit can do.
  const group = w.concurrency;
  return {
    records: w.appends * w.batch,
    run() {
      if (w.durability === "flush") {
        for (let i = 0; i < w.appends; i++) file.write(batch);
        return;
      }
      for (let i = 0; i < w.appends; i++) {
        file.write(batch);
        if ((i + 1) % group === 0 || i + 1 === w.appends) file.syncData();
      }
    },
    close() {
      file.close();
    },
  };
}

function chunkedFloorSession(
  backend: Backend,
  w: Workload,
  dir: string,
): Session {
  // 1 MiB chunks of whole records; at least 16 chunks so that one fdatasync
  // does not make the whole figure.
  const perChunk = Math.ceil((1024 * 1024) / w.recordBytes);
  const records = Math.max(w.appends * w.batch, 16 * perChunk);
  const total = records * w.recordBytes;
  const file = backend.createFile(`${dir}/floor`, total);
  const record = randomPayloads(1, w.recordBytes)[0];
  const chunk = concat(Array.from({ length: perChunk }, () => record));
  return {
    records,
    run() {
      for (let done = 0; done < total; done += chunk.length) {
        file.write(
          total - done >= chunk.length
            ? chunk
            : chunk.subarray(0, total - done),
        );
        file.syncData();
      }
    },
    close() {
      file.close();
    },
  };
}

function sqliteSession(
  backend: Backend,
  w: Workload,
  dir: string,
  primaryKey: boolean,
): Session {
  const db = backend.openSqlite(`${dir}/queue.sqlite`);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec(
    `PRAGMA synchronous = ${w.durability === "fsync" ? "FULL" : "NORMAL"}`,
  );
  db.exec(
    `CREATE TABLE records (queue TEXT NOT NULL, position INTEGER NOT NULL, payload BLOB NOT NULL${
      primaryKey ? ", PRIMARY KEY (queue, position)" : ""
    })`,
  );
  const begin = db.prepare("BEGIN");
  const commit = db.prepare("COMMIT");
  const insert = db.prepare(
    "INSERT INTO records (queue, position, payload) VALUES (?, ?, ?)",
  );
  const names = queueNames(w.queues);
  const next = names.map(() => 0);
  const payloads = randomPayloads(w.batch, w.recordBytes);
  return {
    records: w.appends * w.batch,
    run() {
      for (let i = 0; i < w.appends; i++) {
        const q = i % names.length;
        begin.run();
        for (const payload of payloads) {
          insert.run(names[q], next[q]++, payload);
        }
        commit.run();
      }
    },
    close() {
      db.close();
    },
  };
}
