/**
 * `Forwarder.stop()` against a real `nats-server`: called while publishes
 * are in flight, it lets them finish (or fail, the server gone) and
 * acknowledges in the log exactly what the stream confirmed, never more; a
 * forwarder started again afterwards resumes there, and the stream ends up
 * with every record once, in order.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { MultiRecordLog } from "../../mod.ts";
import { type Forwarder, forwardToJetStream } from "../../jetstream.ts";
import { waitFor } from "../support/waiting.ts";
import { natsServer } from "./nats_server.ts";
import {
  assertForwarded,
  createStream,
  readStream,
} from "./stream_contents.ts";
import { recordPayload } from "./test_records.ts";
import { statusText, withQueueLog } from "./forwarder_log.ts";

const QUEUE = "stop/q";

/** The log consumer's acknowledged position (`undefined`: none). */
function ackedInLog(log: MultiRecordLog, consumer = "jetstream"): number {
  const found = log.listConsumers(QUEUE).find((c) => c.name === consumer);
  assert.ok(found, `no consumer ${consumer}`);
  return found.acked ?? -1;
}

/** Forwards what is left and waits until every record up to `last` is acked. */
async function resume(
  log: MultiRecordLog,
  url: string,
  last: number,
): Promise<Forwarder> {
  const again = forwardToJetStream(log, QUEUE, {
    servers: url,
    stream: "EVENTS",
    subject: "events.in",
  });
  try {
    const all = await waitFor(() => again.status().acked === last, 40_000);
    assert.ok(all, `not acked up to ${last}: ${statusText(again)}`);
  } finally {
    await again.stop();
  }
  return again;
}

/**
 * Creates the stream and starts forwarding to it until some records are
 * confirmed and publishes are in flight (`moving`: whether that happened).
 */
async function midStream(
  log: MultiRecordLog,
  url: string,
  options: { timeoutMs?: number },
): Promise<{ forwarder: Forwarder; moving: boolean }> {
  await createStream(url, "EVENTS", ["events.>"]);
  const forwarder = forwardToJetStream(log, QUEUE, {
    servers: url,
    stream: "EVENTS",
    subject: "events.in",
    maxInFlight: 1024,
    ...options,
  });
  const moving = await waitFor(() => {
    const { forwarded, inFlight } = forwarder.status();
    return forwarded > 2000 && inFlight > 0;
  }, 40_000);
  return { forwarder, moving };
}

describe("Forwarder.stop()", () => {
  test(
    "mid-stream: the publishes in flight finish, exactly what the stream confirmed is acked, a restart resumes there",
    withQueueLog(QUEUE, 40_000, async (log) => {
      await using server = await natsServer();
      const { forwarder, moving } = await midStream(log, server.url, {});
      await forwarder.stop();
      assert.ok(moving, statusText(forwarder));
      const status = forwarder.status();
      assert.equal(status.running, false);
      assert.equal(status.connected, false);
      assert.equal(status.inFlight, 0);
      assert.equal(status.lastError, undefined);
      const acked = ackedInLog(log);
      assert.ok(acked < 39_999, `all forwarded before stop() (${acked})`);
      assert.equal(status.acked, acked);
      assert.equal(status.forwarded, acked + 1);
      // Nothing the stream holds is left unacknowledged, and nothing
      // acknowledged is missing from it.
      const stored = await readStream(server.url, "EVENTS");
      assertForwarded(stored, QUEUE, acked + 1, recordPayload);
      // Stopping again, or after the end, does nothing.
      await forwarder.stop();
      assert.equal(ackedInLog(log), acked);

      const again = await resume(log, server.url, 39_999);
      // Nothing was published twice: stop() left no confirmed record unacked.
      assert.equal(again.status().duplicates, 0);
      assert.equal(again.status().forwarded, 39_999 - acked);
      assertForwarded(
        await readStream(server.url, "EVENTS"),
        QUEUE,
        40_000,
        recordPayload,
      );
      assert.equal(log.summary().queues[QUEUE].recordCount, 0);
    }),
  );

  test(
    "with nats-server killed under it: what was never confirmed is not acked; a restart stores every record once",
    withQueueLog(QUEUE, 30_000, async (log) => {
      await using server = await natsServer();
      const { forwarder, moving } = await midStream(log, server.url, {
        timeoutMs: 1000,
      });
      await server.kill();
      await forwarder.stop();
      assert.ok(moving, statusText(forwarder));
      assert.equal(forwarder.status().running, false);
      assert.equal(forwarder.status().inFlight, 0);
      const acked = ackedInLog(log);
      assert.ok(acked < 29_999, `all forwarded before the kill (${acked})`);

      await server.start();
      // The stream holds every acked record, and maybe some it stored
      // without its PubAck reaching the forwarder: never fewer.
      const stored = await readStream(server.url, "EVENTS");
      assert.ok(stored.length >= acked + 1, `${stored.length} <= ${acked}`);
      assertForwarded(stored, QUEUE, stored.length, recordPayload);

      const again = await resume(log, server.url, 29_999);
      // Those stored without a PubAck are answered as duplicates.
      assert.equal(again.status().duplicates, stored.length - (acked + 1));
      assertForwarded(
        await readStream(server.url, "EVENTS"),
        QUEUE,
        30_000,
        recordPayload,
      );
    }),
  );
});
