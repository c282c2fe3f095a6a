import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readRecords } from "../../src/log/record_reader.ts";
import { FrameType } from "../../src/format/frame.ts";
import { RecordKind } from "../../src/format/record.ts";
import { MemoryFileAdapter } from "../../src/testing/memory_file_adapter.ts";
import { openSegments } from "../../src/storage/segment_file.ts";
import { block, frameBytes, recordBytes } from "../support/log_bytes.ts";
import { utf8 } from "../support/bytes.ts";

describe("readRecords", () => {
  it("decodes records and reports frame damage, malformed records and body problems apart", () => {
    const touch = frameBytes(
      FrameType.Full,
      recordBytes(RecordKind.Touch, 3, "q"),
    );
    const badFrame = frameBytes(FrameType.Full, utf8("x"), { checksum: 1 });
    const badKind = frameBytes(FrameType.Full, recordBytes(9, 0, "q"));
    const append = frameBytes(
      FrameType.Full,
      recordBytes(RecordKind.AppendRecords, 3, "q", [
        { position: 3, payload: utf8("abc") },
      ]),
    );
    const fs = new MemoryFileAdapter();
    fs.writeFileBytes(
      "/d/wal-00000000000000000005",
      block(touch, badFrame, badKind, append),
    );
    const seen: unknown[] = [];
    const files = openSegments(fs, "/d", [5], true);
    const end = readRecords(files, {
      record(record, bytes, fileNumber, offset) {
        seen.push(["record", record.kind, record.queue, fileNumber, offset]);
        const isAppend = record.kind === RecordKind.AppendRecords;
        assert.equal(bytes.length, record.bodyOffset + (isAppend ? 15 : 0));
        // The handler's verdict on the body is reported as damage.
        return isAppend ? "bad body" : undefined;
      },
      damage(fileNumber, offset, reason, malformed) {
        seen.push(["damage", fileNumber, offset, reason, malformed]);
      },
    });
    files[0].file.close();
    const at1 = touch.length;
    const at2 = at1 + badFrame.length;
    const at3 = at2 + badKind.length;
    assert.deepEqual(seen, [
      ["record", RecordKind.Touch, "q", 5, 0],
      ["damage", 5, at1, "checksum mismatch", false],
      ["damage", 5, at2, "unknown record kind 9", true],
      ["record", RecordKind.AppendRecords, "q", 5, at3],
      ["damage", 5, at3, "bad body", true],
    ]);
    assert.deepEqual(end, {
      fileIndex: 0,
      offset: at3 + append.length,
      zeroHeader: true,
    });
  });
});
