/**
 * The HTTP ingest benchmark (issue 18, `lib/http_suite.ts`): the project's
 * server (`cli.ts serve --policy always-flush|always-fsync`, and the same
 * handler on `node:http` through srvx) against a null floor, a write floor
 * (with fdatasync for the fsync rows) and SQLite servers, all of the
 * runtime running this file, each in its own process, loaded by autocannon
 * in a Node.js process; contenders interleaved in rounds; ratios, server
 * CPU per record and the targets printed.
 *
 * ```sh
 * deno run -A bench/http_bench.ts
 * bun bench/http_bench.ts
 * BENCH_QUICK=1 bun bench/http_bench.ts             # 1 s runs, one round
 * BENCH_FILTER="fsync" deno run -A bench/http_bench.ts
 * # the project's server from another tree (e.g. an earlier commit's)
 * git archive COMMIT | tar -x -C /tmp/old && ln -s "$PWD/node_modules" /tmp/old/
 * BENCH_HTTP_PROJECT=/tmp/old deno run -A bench/http_bench.ts
 * ```
 *
 * Not a `deno bench` benchmark: under `deno bench` it prints how to run it
 * and does nothing.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import process from "node:process";
import { formatReport } from "./lib/report.ts";
import { httpBenchConfig, httpSuite } from "./lib/http_suite.ts";
import { httpReportParts } from "./lib/http_report.ts";
import { killServersOnExit } from "./lib/http_process.ts";

if (!import.meta.main) {
  console.log(
    "http_bench.ts: run it with `deno run -A bench/http_bench.ts` or `bun bench/http_bench.ts`",
  );
} else {
  const root = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
  const config = httpBenchConfig();
  killServersOnExit();
  const runtime = "Deno" in globalThis
    ? `Deno ${Deno.version.deno} (V8 ${Deno.version.v8})`
    : `Bun ${process.versions.bun} (JavaScriptCore)`;
  const results = await httpSuite(config, root);
  const settings =
    `${config.rounds} round(s) of ${config.seconds} s per run after ${config.warmupSeconds} s of warm-up; autocannon 9 on Node.js ${
      (await nodeVersion(config.node)).trim()
    }; records of the shape's size, one queue; node:http ${
      results.trees?.projectServerFlag
        ? "is `serve --server node`, the native server `--server native`"
        : "is bench/lib/http_node_server.ts"
    }${
      config.project === undefined
        ? ""
        : `; the project's server from ${config.project}`
    }`;
  console.log(
    formatReport("HTTP ingest", runtime, [
      settings,
      ...httpReportParts(results),
    ]),
  );
}

async function nodeVersion(node: string): Promise<string> {
  const { spawnSync } = await import("node:child_process");
  return spawnSync(node, ["--version"], { encoding: "utf8" }).stdout ?? "?";
}
