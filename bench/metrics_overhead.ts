/**
 * What the metrics cost (issue 12: "measure the append benchmark with the
 * server's metrics on and off"): this tree against a copy of it with the
 * counting taken out, both loaded in one process and run alternately.
 *
 * The copy ("off") is this tree's `src/`, `mod.ts` and `server.ts` in a
 * temporary folder, with {@linkcode STUBS} applied: no append timing (the
 * clock reads and the promise reaction per commit), no fsync timing, no
 * per-append counters, no request counting in the handler. A stub whose
 * text is no longer found fails the run: update it after the code moved.
 * The status page and `GET /metrics` do nothing until asked, so their cost
 * is the cost of a request, measured last.
 *
 * Figures: process CPU time per append (library) or per request (the
 * ingest handler called directly, no socket), the median of each side and
 * the median of the per-round on/off ratios with their range; then the CPU
 * time of one `GET /metrics` and one `GET /status` by number of queues.
 *
 * ```sh
 * deno run -A bench/metrics_overhead.ts
 * bun bench/metrics_overhead.ts
 * BENCH_QUICK=1 bun bench/metrics_overhead.ts   # 3 rounds, fewer appends
 * BENCH_METRICS_ROUNDS=31 deno run -A bench/metrics_overhead.ts
 * BENCH_FILTER=library bun bench/metrics_overhead.ts  # workloads whose name has it
 *                                   # (BENCH_FILTER=scrape: the scrapes only)
 * BENCH_METRICS_AA=1 deno run -A bench/metrics_overhead.ts  # the copy without stubs:
 *                                   # A/A, the bias and noise of the method itself
 * ```
 *
 * @module
 */

import process from "node:process";
import {
  cpSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { median } from "./lib/report.ts";

type Library = typeof import("../mod.ts");
type Server = typeof import("../server.ts");
type Log = import("../mod.ts").MultiRecordLog;

/** One tree's entry points. */
interface Tree {
  lib: Library;
  srv: Server;
}

/** A text replaced in a file of the copy: `from` must occur exactly once. */
interface Stub {
  file: string;
  from: string;
  to: string;
}

/** What the "off" copy leaves out. */
const STUBS: readonly Stub[] = [
  {
    file: "src/log/log_writer.ts",
    from: `            const started = performance.now();
            await this.#file.syncData();
            this.fsyncSeconds.observe((performance.now() - started) / 1000);`,
    to: `            await this.#file.syncData();`,
  },
  {
    file: "src/log/log_writes.ts",
    from: `    this.#wal.append += bytes;
    q.recordsAppended += payloads.length;
`,
    to: "",
  },
  {
    file: "src/log/log_writes.ts",
    from: `    const started = this.counters.appendStarts();
    if (!this.#appendSync && writer.writeNow()) {
      this.counters.acknowledged(started);`,
    to: `    if (!this.#appendSync && writer.writeNow()) {`,
  },
  {
    file: "src/log/log_writes.ts",
    from: `    this.counters.waits(committed, started);
`,
    to: "",
  },
  {
    file: "src/server/ingest_handler.ts",
    from: `      server.http.answered(
        routeTemplate(parts),
        request.method,
        response.status,
      );
`,
    to: "",
  },
];

const quick = process.env.BENCH_QUICK === "1";
/** A/A: the copy keeps the metrics (no stub applied), to calibrate. */
const AA = process.env.BENCH_METRICS_AA === "1";
const FILTER = process.env.BENCH_FILTER ?? "";
const ROUNDS = Number(process.env.BENCH_METRICS_ROUNDS ?? (quick ? 3 : 21));
/** Scales the appends and requests per run. */
const SCALE = quick ? 0.25 : 1;
/** A 256 B NDJSON line (its newline included). */
const LINE = JSON.stringify({ msg: "x".repeat(243) }) + "\n";
const PAYLOAD = new Uint8Array(256).fill(97);

/** Copies the tree's sources to a temporary folder and applies the stubs. */
function metricsOffTree(root: string): string {
  const dir = mkdtempSync(`${tmpdir()}/mrecordlog-metrics-off-`);
  cpSync(`${root}/src`, `${dir}/src`, { recursive: true });
  for (const file of ["mod.ts", "server.ts"]) {
    cpSync(`${root}/${file}`, `${dir}/${file}`);
  }
  for (const { file, from, to } of AA ? [] : STUBS) {
    const text = readFileSync(`${dir}/${file}`, "utf8");
    if (text.split(from).length !== 2) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(
        `metrics_overhead.ts: a stub's text is not found once in ${file}: update STUBS\n${from}`,
      );
    }
    writeFileSync(`${dir}/${file}`, text.replace(from, to));
  }
  return dir;
}

/** CPU time of `fn` in µs, divided by `ops`. */
async function cpuPerOp(ops: number, fn: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / ops;
}

/** `count` runs of `task` from `workers` concurrent loops. */
async function concurrently(
  count: number,
  workers: number,
  task: () => Promise<void>,
): Promise<void> {
  let started = 0;
  const loop = async (): Promise<void> => {
    while (started < count) {
      started++;
      await task();
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
}

/** One measured workload: a run on a tree, its CPU time per operation. */
interface Workload {
  name: string;
  run(tree: Tree): Promise<number>;
}

/** A fresh log in a temporary folder, handed to `fn`, then removed. */
async function withLog<T>(
  tree: Tree,
  action: "flush" | "fsync",
  fn: (log: Log) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(`${tmpdir()}/mrecordlog-metrics-bench-`);
  const log = await tree.lib.MultiRecordLog.open(dir, {
    persistPolicy: { kind: "always", action },
  });
  try {
    await log.createQueue("q");
    return await fn(log);
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Appends of one 256 B record, from `workers` concurrent loops. */
function appendWorkload(
  action: "flush" | "fsync",
  workers: number,
  appends: number,
): Workload {
  const n = Math.round(appends * SCALE);
  const how = workers === 1 ? "awaited" : `${workers} in flight`;
  return {
    name: `library: append 256 B, always/${action}, ${how}`,
    run: (tree) =>
      withLog(
        tree,
        action,
        (log) =>
          cpuPerOp(n, () =>
            concurrently(n, workers, async () => {
              await log.appendRecord("q", undefined, PAYLOAD);
            })),
      ),
  };
}

/** POSTs of `records` NDJSON lines of 256 B to the handler, `workers` at once. */
function requestWorkload(
  action: "flush" | "fsync",
  records: number,
  workers: number,
  requests: number,
): Workload {
  const n = Math.round(requests * SCALE);
  const body = LINE.repeat(records);
  return {
    name:
      `handler: POST ${records} x 256 B, always/${action}, ${workers} at once`,
    run: (tree) =>
      withLog(tree, action, (log) => {
        const handler = tree.srv.createIngestHandler(log);
        return cpuPerOp(n, () =>
          concurrently(n, workers, async () => {
            const response = await handler(
              new Request("http://bench/queues/q/records", {
                method: "POST",
                body,
                headers: { "content-type": "application/x-ndjson" },
              }),
            );
            await response.arrayBuffer();
            if (response.status !== 200) {
              throw new Error(`append answered ${response.status}`);
            }
          }));
      }),
  };
}

const WORKLOADS: readonly Workload[] = [
  appendWorkload("flush", 1, 200_000),
  appendWorkload("flush", 1000, 200_000),
  appendWorkload("fsync", 64, 20_000),
  requestWorkload("flush", 1, 1, 20_000),
  requestWorkload("flush", 100, 1, 3_000),
  requestWorkload("fsync", 1, 16, 5_000),
  requestWorkload("fsync", 100, 16, 2_000),
];

/** Alternates on and off (order swapped every round) after one warm-up each. */
async function compare(
  workload: Workload,
  on: Tree,
  off: Tree,
): Promise<string> {
  await workload.run(on);
  await workload.run(off);
  const cpu = { on: [] as number[], off: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0
      ? ["off", "on"] as const
      : ["on", "off"] as const;
    for (const side of order) {
      cpu[side].push(await workload.run(side === "on" ? on : off));
    }
  }
  const ratios = cpu.on.map((c, i) => c / cpu.off[i]);
  return `| ${workload.name} | ${median(cpu.off).toFixed(2)} | ${
    median(cpu.on).toFixed(2)
  } | ${median(ratios).toFixed(3)}x | ${Math.min(...ratios).toFixed(2)}x to ${
    Math.max(...ratios).toFixed(2)
  }x |`;
}

/** CPU time of one `GET path` with `queues` queues (one consumer each). */
async function scrapeCost(tree: Tree, queues: number): Promise<string[]> {
  return await withLog(tree, "flush", async (log) => {
    for (let i = 0; i < queues; i++) {
      await log.createQueue(`queue-${i}`);
      await log.appendRecord(`queue-${i}`, undefined, PAYLOAD);
      await log.createConsumer(`queue-${i}`, "consumer");
    }
    const handler = tree.srv.createIngestHandler(log);
    const rows: string[] = [];
    for (const path of ["/metrics", "/status"]) {
      const n = queues > 100 ? 20 : 500;
      let bytes = 0;
      const times: number[] = [];
      for (let round = 0; round < 7; round++) {
        times.push(
          await cpuPerOp(n, async () => {
            for (let i = 0; i < n; i++) {
              const response = await handler(
                new Request(`http://bench${path}`),
              );
              bytes = (await response.arrayBuffer()).byteLength;
            }
          }),
        );
      }
      rows.push(
        `| \`GET ${path}\` | ${queues} | ${
          median(times).toFixed(0)
        } | ${bytes} |`,
      );
    }
    return rows;
  });
}

if (import.meta.main) {
  const root = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
  const offDir = metricsOffTree(root);
  try {
    const on: Tree = {
      lib: await import("../mod.ts"),
      srv: await import("../server.ts"),
    };
    const off: Tree = {
      lib: await import(`${offDir}/mod.ts`) as Library,
      srv: await import(`${offDir}/server.ts`) as Server,
    };
    const runtime = "Deno" in globalThis
      ? `Deno ${Deno.version.deno}`
      : `Bun ${process.versions.bun}`;
    console.log(
      `Metrics on / ${
        AA ? "on (A/A: the copy without stubs)" : "off"
      }, ${runtime}, ${ROUNDS} rounds, same process (CPU µs per append or request)\n`,
    );
    console.log("| workload | off | on | on / off (median) | per round |");
    console.log("| --- | ---: | ---: | ---: | ---: |");
    for (const workload of WORKLOADS) {
      if (workload.name.includes(FILTER)) {
        console.log(await compare(workload, on, off));
      }
    }
    if (FILTER === "" || FILTER === "scrape") {
      console.log("\n| scrape | queues | CPU µs per request | bytes |");
      console.log("| --- | ---: | ---: | ---: |");
      for (const queues of [10, 1000]) {
        for (const row of await scrapeCost(on, queues)) console.log(row);
      }
    }
  } finally {
    rmSync(offDir, { recursive: true, force: true });
  }
}
