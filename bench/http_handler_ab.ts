/**
 * The ingest handler's CPU per request, this tree against another's and
 * against the library floor, in one process (issue 18): each is served on
 * the runtime's native server (`Deno.serve` / `Bun.serve`) on its own port
 * and its own log (`always/flush`), and a raw TCP client in the same
 * process POSTs the same body to each in turn, one request at a time, in
 * alternating batches. The figure is the process's CPU time per request
 * (client included: the client is the same for all, so differences are the
 * servers'), median over the rounds. Finer than `http_bench.ts` for a
 * change of a few µs per request: the contenders alternate every second or
 * so, so a busy machine weighs on all of them alike. Each tree serves from
 * two servers, created in the order this, baseline, floor, baseline, this,
 * and each round starts with another server: the first tree created and
 * the first batch of a round both came out slower. What remains (1 to 2 µs
 * in A/A runs of two copies of one tree) stays with the tree imported
 * first: run both ways round (`BENCH_AB_BASELINE_FIRST=1`) before trusting
 * a difference that small.
 *
 * ```sh
 * git archive COMMIT | tar -x -C /tmp/old && ln -s "$PWD/node_modules" /tmp/old/
 * BENCH_HTTP_BASELINE=/tmp/old deno run -A bench/http_handler_ab.ts
 * BENCH_HTTP_BASELINE=/tmp/old bun bench/http_handler_ab.ts 100   # records per request
 * ```
 *
 * Environment: `BENCH_HTTP_BASELINE` (the other tree; default this one, an
 * A/A run sharing its modules), `BENCH_AB_BASELINE_FIRST=1` (import the
 * baseline first), `BENCH_AB_BATCH` (requests per batch, 2,000), `BENCH_AB_ROUNDS`
 * (12, the first two discarded).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import net from "node:net";
import process from "node:process";
import { median } from "./lib/report.ts";
import { ndjsonRecords } from "./lib/ndjson_records.ts";

type Handler = (request: Request) => Promise<Response>;

interface Log {
  createQueue(queue: string): Promise<unknown>;
  appendRecords(q: string, at: undefined, r: Uint8Array[]): Promise<unknown>;
}

const dirs: string[] = [];

async function openLog(tree: string): Promise<Log> {
  const { MultiRecordLog } = await import(`${tree}/mod.ts`);
  const dir = mkdtempSync(`${tmpdir()}/mrecordlog-ab-`);
  dirs.push(dir);
  const log: Log = await MultiRecordLog.open(dir, {
    persistPolicy: { kind: "always", action: "flush" },
  });
  await log.createQueue("bench");
  return log;
}

async function ingestHandler(tree: string): Promise<Handler> {
  const { createIngestHandler } = await import(`${tree}/server.ts`);
  return createIngestHandler(await openLog(tree), {});
}

/** The library floor: the body whole, cut at newlines, one `appendRecords`. */
async function libraryFloor(tree: string): Promise<Handler> {
  const log = await openLog(tree);
  return async (request) => {
    const body = new Uint8Array(await request.arrayBuffer());
    const records = ndjsonRecords(body);
    await log.appendRecords("bench", undefined, records);
    return Response.json({ stored: records.length });
  };
}

function listen(handler: Handler): number {
  const hostname = "127.0.0.1";
  if ("Deno" in globalThis) {
    return Deno.serve({ hostname, port: 0, onListen: () => {} }, handler).addr
      .port;
  }
  const bun = (globalThis as unknown as {
    Bun: { serve(o: object): { port: number } };
  }).Bun;
  return bun.serve({ hostname, port: 0, fetch: handler }).port;
}

/** A keep-alive connection that sends `request` and awaits one 200 answer. */
async function connection(
  port: number,
  request: Uint8Array,
): Promise<() => Promise<void>> {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  socket.setNoDelay(true);
  let received = "";
  let wake = (): void => {};
  socket.on("data", (data) => {
    received += data.toString("latin1");
    wake();
  });
  return async () => {
    socket.write(request);
    for (;;) {
      const head = received.indexOf("\r\n\r\n");
      const length = /content-length: *(\d+)/i.exec(received.slice(0, head));
      const end = head + 4 + Number(length?.[1] ?? 0);
      if (head >= 0 && received.length >= end) {
        if (!received.startsWith("HTTP/1.1 200")) throw new Error(received);
        received = received.slice(end);
        return;
      }
      await new Promise<void>((resolve) => wake = resolve);
    }
  };
}

function ndjsonBody(records: number): Uint8Array {
  let text = "";
  for (let i = 0; i < records; i++) {
    text += JSON.stringify({ seq: i, msg: "x".repeat(228) }) + "\n";
  }
  return new TextEncoder().encode(text);
}

if (import.meta.main) {
  const root = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
  const baseline = process.env.BENCH_HTTP_BASELINE ?? root;
  const records = Number(process.argv[2] ?? 1);
  const batch = Number(process.env.BENCH_AB_BATCH ?? 2000);
  const rounds = Number(process.env.BENCH_AB_ROUNDS ?? 12);
  const body = ndjsonBody(records);
  const head = new TextEncoder().encode(
    `POST /queues/bench/records HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-ndjson\r\ncontent-length: ${body.length}\r\n\r\n`,
  );
  const request = new Uint8Array(head.length + body.length);
  request.set(head);
  request.set(body, head.length);
  // Two servers of each tree, created this, baseline, floor, baseline,
  // this: whichever tree came first ran 3 to 5 µs slower in A/A runs (two
  // copies of one tree), whatever the order of the batches in a round. Of
  // that, 1 to 2 µs stays with the tree imported first:
  // `BENCH_AB_BASELINE_FIRST=1` imports the baseline first.
  const baselineFirst = process.env.BENCH_AB_BASELINE_FIRST === "1";
  const baseEarly = baselineFirst ? await ingestHandler(baseline) : undefined;
  const thisFirst = await ingestHandler(root);
  const baseFirst = baseEarly ?? await ingestHandler(baseline);
  const floorHandler = await libraryFloor(root);
  const contenders: [number, Handler][] = [
    [0, thisFirst],
    [1, baseFirst],
    [2, floorHandler],
    [1, await ingestHandler(baseline)],
    [0, await ingestHandler(root)],
  ];
  const sends = await Promise.all(
    contenders.map(([, handler]) => connection(listen(handler), request)),
  );
  const cpu: number[][] = [[], [], []];
  for (let round = 0; round < rounds; round++) {
    // Each round starts with another server.
    for (let k = 0; k < sends.length; k++) {
      const i = (round + k) % sends.length;
      const start = process.cpuUsage();
      for (let n = 0; n < batch; n++) await sends[i]();
      const used = process.cpuUsage(start);
      if (round >= 2) {
        cpu[contenders[i][0]].push((used.user + used.system) / batch);
      }
    }
  }
  const [mine, base, floor] = cpu.map(median);
  const runtime = "Deno" in globalThis
    ? `Deno ${Deno.version.deno}`
    : `Bun ${process.versions.bun}`;
  console.log(
    `${runtime}, ${records} record(s) of 256 B per request, ${batch} requests x ${
      rounds - 2
    } rounds each; CPU µs per request (client included), medians:`,
  );
  console.log(
    `| this tree | baseline tree | library floor | this - baseline | baseline - floor |
| ---: | ---: | ---: | ---: | ---: |
| ${mine.toFixed(1)} | ${base.toFixed(1)} | ${floor.toFixed(1)} | ${
      (mine - base).toFixed(1)
    } | ${(base - floor).toFixed(1)} |`,
  );
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
