/**
 * `forwardToJetStream` against a real `nats-server` with JetStream: the
 * records reach the stream in order, byte for byte, once each, through a
 * server restart and a server that is not there yet; a stream that refuses
 * is a clear error and nothing is acknowledged.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MissingQueueError } from "../../mod.ts";
import { type Forwarder, forwardToJetStream } from "../../jetstream.ts";
import { tick, waitFor } from "../support/waiting.ts";
import { natsServer } from "./nats_server.ts";
import {
  assertForwarded,
  createStream,
  DISCARD_NEW,
  readStream,
} from "./stream_contents.ts";
import { appendTestRecords, recordPayload } from "./test_records.ts";
import { statusText, withQueueLog } from "./forwarder_log.ts";

const QUEUE = "events/eu é";
/** How long a wait for the forwarder may take on a loaded machine. */
const WAIT_MS = 40_000;

/** Waits until `forwarder` acknowledged `position` (fails with its status if not within `ms`). */
async function waitAcked(
  forwarder: Forwarder,
  position: number,
  ms = WAIT_MS,
): Promise<void> {
  const reached = await waitFor(
    () => forwarder.status().acked === position,
    ms,
  );
  assert.ok(reached, `not acked up to ${position}: ${statusText(forwarder)}`);
}

describe("forwardToJetStream", () => {
  test(
    "100,000 records reach the stream in order, byte for byte, and are truncated from the log",
    withQueueLog(QUEUE, 0, async (log) => {
      await using server = await natsServer();
      await createStream(server.url, "EVENTS", ["events.>"]);
      await appendTestRecords(log, QUEUE, 0, 60_000);
      const forwarder = forwardToJetStream(log, QUEUE, {
        servers: server.url,
        stream: "EVENTS",
        subject: "events.in",
      });
      try {
        // The rest while it forwards: it follows the queue.
        await appendTestRecords(log, QUEUE, 60_000, 40_000);
        await waitAcked(forwarder, 99_999);
        const status = forwarder.status();
        assert.equal(status.lag, 0);
        assert.equal(status.connected, true);
        assert.equal(status.lastError, undefined);
        assert.equal(status.forwarded, 100_000);
        assert.equal(log.summary().queues[QUEUE].recordCount, 0);
      } finally {
        await forwarder.stop();
      }
      assert.equal(forwarder.status().running, false);
      assert.equal(forwarder.status().connected, false);
      const stored = await readStream(server.url, "EVENTS");
      assertForwarded(stored, QUEUE, 100_000, recordPayload);
    }),
  );

  test(
    "records published again within the duplicate window are not stored again",
    withQueueLog(QUEUE, 0, async (log) => {
      await using server = await natsServer();
      await createStream(server.url, "EVENTS", ["events.>"]);
      await appendTestRecords(log, QUEUE, 0, 3000);
      const options = {
        servers: server.url,
        stream: "EVENTS",
        subject: "events.in",
      };
      // A second consumer, which holds the records back from truncation,
      // publishes all of them again.
      await log.createConsumer(QUEUE, "again");
      const first = forwardToJetStream(log, QUEUE, options);
      await waitAcked(first, 2999);
      await first.stop();
      assert.equal(first.status().duplicates, 0);
      const again = forwardToJetStream(log, QUEUE, {
        ...options,
        consumer: "again",
      });
      await waitAcked(again, 2999);
      await again.stop();
      assert.equal(again.status().forwarded, 3000);
      assert.equal(again.status().duplicates, 3000);
      const stored = await readStream(server.url, "EVENTS");
      assertForwarded(stored, QUEUE, 3000, recordPayload);
    }),
  );

  test(
    "nats-server killed and restarted mid-stream with its store: no loss, no duplicate",
    withQueueLog(QUEUE, 0, async (log) => {
      await using server = await natsServer();
      await createStream(server.url, "EVENTS", ["events.>"]);
      await appendTestRecords(log, QUEUE, 0, 30_000);
      const forwarder = forwardToJetStream(log, QUEUE, {
        servers: server.url,
        stream: "EVENTS",
        subject: "events.in",
        maxRetryMs: 200,
      });
      try {
        assert.ok(
          await waitFor(() => forwarder.status().forwarded > 5000, WAIT_MS),
        );
        await server.kill();
        // The session is over once its error is kept; the acknowledgements
        // it had received are written just after.
        assert.ok(
          await waitFor(() => {
            const { connected, lastError } = forwarder.status();
            return !connected && lastError !== undefined;
          }, WAIT_MS),
          statusText(forwarder),
        );
        await tick(300);
        const acked = forwarder.status().acked!;
        assert.ok(acked < 29_999, `all acked before the kill (${acked})`);
        await tick(300);
        assert.ok(forwarder.status().lastError, statusText(forwarder));
        assert.equal(forwarder.status().acked, acked);
        await server.start();
        await waitAcked(forwarder, 29_999);
      } finally {
        await forwarder.stop();
      }
      const stored = await readStream(server.url, "EVENTS");
      assertForwarded(stored, QUEUE, 30_000, recordPayload);
    }),
  );

  test(
    "a server unreachable at start: the forwarder waits, then catches up (creating the stream)",
    withQueueLog(QUEUE, 0, async (log) => {
      await using server = await natsServer(false);
      await appendTestRecords(log, QUEUE, 0, 5000);
      const forwarder = forwardToJetStream(log, QUEUE, {
        servers: server.url,
        stream: "LATE",
        subject: "late.in",
        consumer: "to-nats",
        createStream: true,
        maxRetryMs: 200,
      });
      try {
        assert.ok(
          await waitFor(() => !!forwarder.status().lastError, WAIT_MS),
        );
        await tick(500);
        const waiting = forwarder.status();
        assert.equal(waiting.connected, false);
        assert.equal(waiting.acked, undefined);
        assert.equal(waiting.lag, 5000);
        assert.deepEqual(log.listConsumers(QUEUE).map((c) => c.name), [
          "to-nats",
        ]);
        await server.start();
        await waitAcked(forwarder, 4999);
        await appendTestRecords(log, QUEUE, 5000, 1000);
        await waitAcked(forwarder, 5999);
        assert.equal(forwarder.status().lastError, undefined);
      } finally {
        await forwarder.stop();
      }
      const stored = await readStream(server.url, "LATE");
      assertForwarded(stored, QUEUE, 6000, recordPayload);
    }),
  );

  test(
    "a stream that does not take the subject: a clear error, nothing acked",
    withQueueLog(QUEUE, 0, async (log) => {
      await using server = await natsServer();
      await createStream(server.url, "OTHER", ["other.>"]);
      await appendTestRecords(log, QUEUE, 0, 100);
      const forwarder = forwardToJetStream(log, QUEUE, {
        servers: server.url,
        stream: "OTHER",
        subject: "events.in",
      });
      try {
        assert.ok(
          await waitFor(() => !!forwarder.status().lastError, WAIT_MS),
        );
        assert.match(
          forwarder.status().lastError!.message,
          /stream "OTHER" does not take subject "events\.in" \(its subjects: other\.>\)/,
        );
        await tick(300);
        assert.equal(forwarder.status().acked, undefined);
        assert.equal(forwarder.status().lag, 100);
      } finally {
        await forwarder.stop();
      }
      assert.equal(log.listConsumers(QUEUE)[0].acked, undefined);
      assert.equal((await readStream(server.url, "OTHER")).length, 0);
    }),
  );

  test(
    "a stream missing, without createStream: a clear error, nothing acked",
    withQueueLog(QUEUE, 0, async (log) => {
      await using server = await natsServer();
      await appendTestRecords(log, QUEUE, 0, 10);
      const forwarder = forwardToJetStream(log, QUEUE, {
        servers: server.url,
        stream: "NOPE",
        subject: "nope.in",
      });
      try {
        assert.ok(
          await waitFor(() => !!forwarder.status().lastError, WAIT_MS),
        );
        assert.match(
          forwarder.status().lastError!.message,
          /stream "NOPE" not found/,
        );
        assert.equal(forwarder.status().acked, undefined);
      } finally {
        await forwarder.stop();
      }
    }),
  );

  test(
    "a stream whose limits refuse the records: the server's reason, nothing acked past what it stored",
    withQueueLog(QUEUE, 0, async (log) => {
      await using server = await natsServer();
      // Every message is larger than 8 bytes, with its headers.
      await createStream(server.url, "SMALL", ["small.>"], {
        max_msg_size: 8,
      });
      await createStream(server.url, "FULL", ["full.>"], {
        max_msgs: 5,
        discard: DISCARD_NEW,
      });
      await appendTestRecords(log, QUEUE, 0, 2000);
      const small = forwardToJetStream(log, QUEUE, {
        servers: server.url,
        stream: "SMALL",
        subject: "small.in",
        consumer: "small",
      });
      const full = forwardToJetStream(log, QUEUE, {
        servers: server.url,
        stream: "FULL",
        subject: "full.in",
        consumer: "full",
      });
      try {
        assert.ok(await waitFor(() => !!small.status().lastError, WAIT_MS));
        // The records the stream took before it refused are acknowledged
        // once the session is over; no more after.
        assert.ok(
          await waitFor(() => full.status().acked === 4, WAIT_MS),
          statusText(full),
        );
        await tick(300);
        assert.match(
          small.status().lastError!.message,
          /^stream "SMALL" did not take record 0 of queue "events\/eu é" on subject "small\.in": .*message size/i,
        );
        assert.equal(small.status().acked, undefined);
        assert.equal(small.status().lag, 2000);
        assert.match(
          full.status().lastError!.message,
          /^stream "FULL" did not take record 5 .*maximum messages/i,
        );
        assert.equal(full.status().acked, 4);
        assert.equal(full.status().lag, 1995);
      } finally {
        await small.stop();
        await full.stop();
      }
      assert.deepEqual(
        log.listConsumers(QUEUE).map((c) => [c.name, c.acked]),
        [["full", 4], ["small", undefined]],
      );
      assertForwarded(
        await readStream(server.url, "FULL"),
        QUEUE,
        5,
        recordPayload,
      );
      assert.equal(log.summary().queues[QUEUE].recordCount, 2000);
    }),
  );

  test(
    "bad options and a missing queue are refused at once",
    withQueueLog(QUEUE, 0, (log) => {
      const options = {
        servers: "nats://127.0.0.1:1",
        stream: "S",
        subject: "s",
      };
      assert.throws(
        () => forwardToJetStream(log, "missing", options),
        MissingQueueError,
      );
      assert.throws(
        () => forwardToJetStream(log, QUEUE, { ...options, stream: "" }),
        TypeError,
      );
      assert.throws(
        () => forwardToJetStream(log, QUEUE, { ...options, maxInFlight: 0 }),
        RangeError,
      );
      assert.throws(
        () => forwardToJetStream(log, QUEUE, { ...options, subject: "a.*" }),
        /subject must be dot-separated tokens without wildcards/,
      );
      assert.deepEqual(log.listConsumers(QUEUE), []);
      return Promise.resolve();
    }),
  );
});
