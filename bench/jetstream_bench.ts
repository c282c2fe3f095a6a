/**
 * The JetStream forwarding benchmark (`lib/jetstream_suite.ts`): records
 * per second forwarded to a local `nats-server` (started on a free port
 * with a temporary store, stopped at the end) beside the JetStream client
 * publishing the same records directly; the ratio in one run. Skipped,
 * saying so, where `nats-server` is not installed.
 *
 * ```sh
 * deno bench --allow-all bench/jetstream_bench.ts
 * bun bench/jetstream_bench.ts
 * BENCH_QUICK=1 bun bench/jetstream_bench.ts      # 20,000 records, 3 iterations
 * ```
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import process from "node:process";
import { denoBenchDriver } from "./lib/deno_driver.ts";
import { type Driver, loopDriver } from "./lib/driver.ts";
import { jetstreamSuite } from "./lib/jetstream_suite.ts";
import { benchConfig } from "./lib/workloads.ts";
import { natsServer } from "../tests/jetstream/nats_server.ts";

const found = spawnSync("nats-server", ["--version"]);
if (found.error || found.status !== 0) {
  console.log("jetstream_bench: nats-server not found, skipped");
} else {
  const server = await natsServer();
  const deno = "Deno" in globalThis;
  const runtime = deno
    ? `Deno ${Deno.version.deno}`
    : `Bun ${
      (globalThis as unknown as { Bun: { version: string } }).Bun.version
    }`;
  const driver: Driver = deno ? denoBenchDriver : loopDriver();
  await jetstreamSuite(driver, server, benchConfig(), runtime);
  // Under deno bench the measurements run after this module: the server
  // is killed, and its store removed, when the process ends.
  if (deno) {
    globalThis.addEventListener("unload", () => {
      server.kill();
      rmSync(server.storeDir, { recursive: true, force: true });
    });
  } else await server.close();
  process.exitCode = 0;
}
