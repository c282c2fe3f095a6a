/**
 * The JetStream forwarding benchmark (issue 14): records per second that
 * `forwardToJetStream` forwards from a log to a local `nats-server`, beside
 * the JetStream client publishing the same records directly, pipelined the
 * same way (the same window of publishes in flight, the same headers and
 * message ids), in the same run; the ratio is the figure.
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { MultiRecordLog } from "../../mod.ts";
import { forwardToJetStream } from "../../jetstream.ts";
import {
  recordHeaders,
  recordMessageId,
} from "../../src/jetstream/record_headers.ts";
import type { NatsServer } from "../../tests/jetstream/nats_server.ts";
import type { Driver, TimingHooks } from "./driver.ts";
import { figureTable, formatReport, Results } from "./report.ts";
import type { BenchConfig } from "./workloads.ts";

/** Publishes in flight, for both (the forwarder's default). */
const MAX_IN_FLIGHT = 256;
const RECORD_BYTES = 256;
const QUEUE = "events";
const GROUP = "jetstream 256B";

/** Records forwarded per iteration: `BENCH_JETSTREAM_RECORDS`, default 100,000 (quick 20,000). */
export function jetstreamRecords(config: BenchConfig): number {
  const text = globalThis.process?.env?.BENCH_JETSTREAM_RECORDS;
  return text ? Number(text) : config.quick ? 20_000 : 100_000;
}

/** The payloads of an iteration, made once. */
function payloads(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    const bytes = new Uint8Array(RECORD_BYTES);
    bytes.fill(i & 255);
    return bytes;
  });
}

let streamCount = 0;

/** A fresh stream on `server`, taking `subject`; returns its name. */
async function freshStream(
  server: NatsServer,
  subject: string,
): Promise<string> {
  const name = `BENCH${++streamCount}`;
  const nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name, subjects: [subject] });
  await nc.close();
  return name;
}

async function dropStream(server: NatsServer, name: string): Promise<void> {
  const nc = await connect({ servers: server.url });
  await (await jetstreamManager(nc)).streams.delete(name);
  await nc.close();
}

/** One timed run of the JetStream client publishing `records` itself. */
async function direct(
  server: NatsServer,
  records: Uint8Array[],
  hooks: TimingHooks,
): Promise<number> {
  const subject = `direct${streamCount + 1}.in`;
  const stream = await freshStream(server, subject);
  hooks.start();
  const started = performance.now();
  const nc = await connect({ servers: server.url });
  const js = jetstream(nc);
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const settled = (): void => {
    inFlight--;
    wake?.();
  };
  for (let position = 0; position < records.length; position++) {
    while (inFlight >= MAX_IN_FLIGHT) {
      await new Promise<void>((resolve) => wake = resolve);
    }
    inFlight++;
    js.publish(subject, records[position], {
      msgID: recordMessageId(QUEUE, position),
      headers: recordHeaders(QUEUE, position),
      expect: { streamName: stream },
    }).then(settled, (error) => {
      throw error;
    });
  }
  while (inFlight > 0) await new Promise<void>((resolve) => wake = resolve);
  await nc.close();
  const seconds = (performance.now() - started) / 1000;
  hooks.end();
  await dropStream(server, stream);
  return records.length / seconds;
}

/** One timed run of the forwarder draining a log that holds `records`. */
async function forwarded(
  server: NatsServer,
  records: Uint8Array[],
  config: BenchConfig,
  hooks: TimingHooks,
): Promise<number> {
  const subject = `forward${streamCount + 1}.in`;
  const stream = await freshStream(server, subject);
  const dir = mkdtempSync(`${config.tmpRoot}/mrecordlog-bench-js-`);
  const log = await MultiRecordLog.open(dir);
  try {
    await log.createQueue(QUEUE);
    for (let i = 0; i < records.length; i += 1000) {
      await log.appendRecords(QUEUE, undefined, records.slice(i, i + 1000));
    }
    hooks.start();
    const started = performance.now();
    const forwarder = forwardToJetStream(log, QUEUE, {
      servers: server.url,
      stream,
      subject,
      maxInFlight: MAX_IN_FLIGHT,
    });
    while (forwarder.status().acked !== records.length - 1) {
      const error = forwarder.status().lastError;
      if (error) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const seconds = (performance.now() - started) / 1000;
    hooks.end();
    await forwarder.stop();
    return records.length / seconds;
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
    await dropStream(server, stream);
  }
}

/**
 * Measures both with `driver` against `server`, then reports: each one's
 * median records/s and the forwarder's ratio to the direct client.
 */
export async function jetstreamSuite(
  driver: Driver,
  server: NatsServer,
  config: BenchConfig,
  runtime: string,
): Promise<void> {
  const count = jetstreamRecords(config);
  const records = payloads(count);
  const results = new Results();
  const iterations = config.iterations;
  await driver.measure(
    {
      group: GROUP,
      name: "JetStream client, direct",
      baseline: true,
      iterations,
    },
    (hooks) => direct(server, records, hooks),
    results.values("direct"),
  );
  await driver.measure(
    { group: GROUP, name: "forwardToJetStream", iterations },
    (hooks) => forwarded(server, records, config, hooks),
    results.values("forwarder"),
  );
  await driver.report(() => {
    const directRate = results.median("direct");
    const forwarderRate = results.median("forwarder");
    const rate = (n: number | undefined): string =>
      n === undefined ? "-" : `${Math.round(n)} records/s`;
    const rows: [string, number | undefined, string][] = [[
      `forwarder vs the client publishing directly (${count} x ${RECORD_BYTES} B, ${MAX_IN_FLIGHT} in flight)`,
      forwarderRate !== undefined && directRate !== undefined
        ? forwarderRate / directRate
        : undefined,
      `${rate(forwarderRate)} vs ${rate(directRate)}`,
    ]];
    const parts = [figureTable(rows)];
    if (config.verbose) parts.push(results.dump());
    console.log(formatReport("JetStream forwarding", runtime, parts));
  });
}
