import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { encodeRecordLine } from "../../src/wire/record_line.ts";
import { text, utf8 } from "../support/bytes.ts";

describe("encodeRecordLine", () => {
  test("writes the position and the payload in base64, one line", () => {
    const payload = new Uint8Array([0, 10, 13, 255, 0x22]);
    const line = text(encodeRecordLine({ position: 42, payload }));
    assert.equal(line, '{"position":42,"payload":"AAoN/yI="}\n');
    const parsed = JSON.parse(line);
    assert.deepEqual(
      new Uint8Array(Buffer.from(parsed.payload, "base64")),
      payload,
    );
  });

  test("encodes only the payload's own bytes, not its whole buffer", () => {
    const buffer = utf8("xxhelloxx");
    const payload = buffer.subarray(2, 7);
    assert.equal(
      text(encodeRecordLine({ position: 0, payload })),
      `{"position":0,"payload":"${btoa("hello")}"}\n`,
    );
  });

  test("an empty payload and a position near 2^53", () => {
    assert.equal(
      text(encodeRecordLine({
        position: Number.MAX_SAFE_INTEGER,
        payload: new Uint8Array(0),
      })),
      `{"position":${Number.MAX_SAFE_INTEGER},"payload":""}\n`,
    );
  });
});
