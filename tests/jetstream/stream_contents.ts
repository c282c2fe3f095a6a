/**
 * What a JetStream stream holds, read back for the tests through an ordered
 * consumer; and the streams the tests create.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { forwardedRecordOf } from "../../jetstream.ts";

/** One message of the stream. */
export interface StoredRecord {
  /** Its stream sequence. */
  seq: number;
  /** Its `Nats-Msg-Id`. */
  msgId: string | undefined;
  /** The queue and position its headers carry. */
  queue: string | undefined;
  /** ″ */
  position: number | undefined;
  /** Its data (a copy). */
  data: Uint8Array;
}

/** Creates stream `name` on the server at `url`, taking `subjects`, with `config` added. */
export async function createStream(
  url: string,
  name: string,
  subjects: string[],
  config: Partial<StreamConfig> = {},
): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name, subjects, ...config });
  } finally {
    await nc.close();
  }
}

/** `DiscardPolicy.New`: a full stream refuses new messages. */
export const DISCARD_NEW = DiscardPolicy.New;

/** Every message stream `name` holds, in order. */
export async function readStream(
  url: string,
  name: string,
): Promise<StoredRecord[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const { state } = await jsm.streams.info(name);
    const records: StoredRecord[] = [];
    if (state.messages === 0) return records;
    const consumer = await jetstream(nc).consumers.get(name);
    const messages = await consumer.consume({ max_messages: 4096 });
    for await (const m of messages) {
      const origin = forwardedRecordOf(m.headers);
      records.push({
        seq: m.seq,
        msgId: m.headers?.get("Nats-Msg-Id"),
        queue: origin?.queue,
        position: origin?.position,
        data: new Uint8Array(m.data),
      });
      if (m.seq >= state.last_seq) break;
    }
    await messages.close();
    return records;
  } finally {
    await nc.close();
  }
}

/**
 * Asserts that `records` are exactly the records `expected(position)` of
 * queue `queue` at positions `0..count-1`, once each, in order, byte for
 * byte, with their ids and headers.
 */
export function assertForwarded(
  records: StoredRecord[],
  queue: string,
  count: number,
  expected: (position: number) => Uint8Array,
): void {
  const positions = records.map((r) => r.position);
  const duplicates = positions.length - new Set(positions).size;
  assert.equal(duplicates, 0, `${duplicates} duplicate(s) in the stream`);
  assert.equal(records.length, count, "records in the stream");
  for (let i = 0; i < count; i++) {
    const record = records[i];
    if (record.position !== i || record.queue !== queue) {
      assert.fail(`message ${i} is ${record.queue}/${record.position}`);
    }
    assert.equal(record.msgId, `${encodeURIComponent(queue)}/${i}`);
    if (!sameBytes(record.data, expected(i))) {
      assert.deepEqual(record.data, expected(i), `payload of record ${i}`);
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
