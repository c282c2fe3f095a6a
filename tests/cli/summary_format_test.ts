/**
 * The `summary` command's text: the disk use (what the disk limit counts)
 * apart from the files' apparent lengths, labelled as such.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { formatSummary } from "../../src/cli/commands/summary.ts";
import { MultiRecordLog } from "../../src/log/multi_record_log.ts";
import { MemoryFileAdapter } from "../../src/testing/memory_file_adapter.ts";
import { summaryJson } from "../../src/wire/summary_json.ts";
import { utf8 } from "../support/bytes.ts";

describe("summary's text", () => {
  test("the bytes on disk, then each file's apparent length, labelled", async () => {
    await using log = await MultiRecordLog.open("/wal", {
      fileAdapter: new MemoryFileAdapter(),
      segmentBytes: 128 * 1024,
    });
    await log.createQueue("q");
    await log.appendRecords("q", undefined, [utf8("hello")]);
    const text = formatSummary(summaryJson(log));
    assert.equal(
      text,
      [
        "1 queue(s):",
        '  "q": positions 0..0, 1 record(s), 5 byte(s), next position 1',
        "1 log file(s), 4096 bytes on disk:",
        "  wal-00000000000000000000: 131072 bytes (apparent length)",
        "",
      ].join("\n"),
    );
  });
});
