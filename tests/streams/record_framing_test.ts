import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RecordTooLargeError } from "../../src/errors.ts";
import { LengthPrefixDecoderStream } from "../../src/streams/length_prefix_decoder_stream.ts";
import { LineSplitStream } from "../../src/streams/line_split_stream.ts";
import {
  framingOfContentType,
  isRecordFraming,
  mediaType,
  RECORD_FRAMINGS,
  recordSplitStream,
} from "../../src/streams/record_framing.ts";
import { lengthPrefixed, text, utf8 } from "../support/bytes.ts";
import { pipeChunks } from "../support/pipe_chunks.ts";

describe("record framing", () => {
  test("names the two framings", () => {
    assert.deepEqual(RECORD_FRAMINGS, ["ndjson", "length-prefixed"]);
    for (const framing of RECORD_FRAMINGS) assert.ok(isRecordFraming(framing));
    assert.equal(isRecordFraming("raw"), false);
    assert.equal(isRecordFraming("NDJSON"), false);
  });

  test("chooses by content type, ignoring parameters and case", () => {
    assert.equal(framingOfContentType(null), "ndjson");
    assert.equal(framingOfContentType(""), "ndjson");
    assert.equal(framingOfContentType("application/x-ndjson"), "ndjson");
    assert.equal(framingOfContentType("application/ndjson"), "ndjson");
    assert.equal(framingOfContentType("application/jsonl"), "ndjson");
    assert.equal(
      framingOfContentType("Text/Plain; charset=utf-8"),
      "ndjson",
    );
    assert.equal(
      framingOfContentType(" application/octet-stream ;x=1"),
      "length-prefixed",
    );
    assert.equal(framingOfContentType("application/json"), undefined);
    assert.equal(framingOfContentType("image/png"), undefined);
    assert.equal(mediaType("Text/Plain; charset=utf-8"), "text/plain");
    assert.equal(mediaType(null), "");
  });

  test("splits records as the framing says, with the record limit", async () => {
    const ndjson = recordSplitStream("ndjson", { maxRecordBytes: 5 });
    assert.ok(ndjson instanceof LineSplitStream);
    assert.deepEqual(
      (await pipeChunks(ndjson, [utf8("ab\ncd\n")])).map(text),
      ["ab", "cd"],
    );
    const framed = recordSplitStream("length-prefixed");
    assert.ok(framed instanceof LengthPrefixDecoderStream);
    const records = [new Uint8Array([1, 10]), new Uint8Array(0)];
    assert.deepEqual(
      await pipeChunks(framed, [lengthPrefixed(records)]),
      records,
    );
    await assert.rejects(
      pipeChunks(recordSplitStream("ndjson", { maxRecordBytes: 2 }), [
        utf8("abc\n"),
      ]),
      RecordTooLargeError,
    );
    await assert.rejects(
      pipeChunks(recordSplitStream("length-prefixed", { maxRecordBytes: 1 }), [
        lengthPrefixed([new Uint8Array(2)]),
      ]),
      RecordTooLargeError,
    );
  });
});
