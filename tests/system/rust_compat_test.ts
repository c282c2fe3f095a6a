// Replays the operations the Rust crate performed to write each fixture and
// checks that this library reports the same outcomes and writes the same bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { MultiRecordLog } from "../../mod.ts";
import { removeDir, tempDir } from "../support/temp_dir.ts";
import { rustFixtureJson, rustFixtureNames } from "../support/rust_fixtures.ts";

const names = rustFixtureNames();

interface Op {
  op: string;
  queue?: string;
  position?: number | null;
  payload_b64?: string;
  payload_len?: number;
  payload_lens?: number[];
  count?: number;
  up_to_inclusive?: number;
  result?: string;
}

/** The fixture's trimming rule: cut after the last block holding a non-zero byte. */
function trimmed(bytes: Uint8Array): Uint8Array {
  let last = bytes.length - 1;
  while (last >= 0 && bytes[last] === 0) last--;
  const blocks = Math.max(1, Math.ceil((last + 1) / 32768));
  return bytes.subarray(0, blocks * 32768);
}

function outcomeText(outcome: Record<string, number | undefined>): string {
  const parts = ["ok"];
  if ("lastPosition" in outcome) {
    parts.push(`last_position=${outcome.lastPosition ?? "null"}`);
  }
  if ("evictedRecords" in outcome) {
    parts.push(`evicted_records=${outcome.evictedRecords}`);
  }
  parts.push(`wal_bytes_written=${outcome.walBytesWritten}`);
  return parts.join(" ");
}

for (const name of names) {
  const manifest = rustFixtureJson(name, "manifest.json");
  if (!manifest.ops) continue; // derived fixtures (corrupted copies) have no ops
  test(`writing the operations of fixture ${name} gives the Rust crate's bytes`, async () => {
    const dump = rustFixtureJson(name, "dump.json");
    const payloadAt = (
      queue: string,
      position: number,
      length: number,
    ): Uint8Array => {
      const found = dump.queues[queue]?.records.find((r: [number, string]) =>
        r[0] === position
      );
      return found
        ? new Uint8Array(Buffer.from(found[1], "base64"))
        : new Uint8Array(length);
    };
    const dir = tempDir("mrecordlog-compat-");
    try {
      const log = await MultiRecordLog.open(dir);
      for (const op of manifest.ops as Op[]) {
        const q = op.queue!;
        let result: string;
        try {
          if (op.op === "create_queue") {
            result = outcomeText({ ...await log.createQueue(q) });
          } else if (op.op === "delete_queue") {
            result = outcomeText({ ...await log.deleteQueue(q) });
          } else if (op.op === "truncate") {
            result = outcomeText({
              ...await log.truncate(q, op.up_to_inclusive!),
            });
          } else if (op.op === "persist") {
            await log.persist("fsync");
            continue;
          } else {
            const lengths = op.payload_lens ?? [op.payload_len!];
            const last = /last_position=(\d+)/.exec(op.result ?? "");
            const first = last ? Number(last[1]) - lengths.length + 1 : 0;
            const payloads = op.payload_b64 !== undefined
              ? [new Uint8Array(Buffer.from(op.payload_b64, "base64"))]
              : lengths.map((length, i) => payloadAt(q, first + i, length));
            result = outcomeText({
              ...await log.appendRecords(q, op.position ?? undefined, payloads),
            });
          }
        } catch (error) {
          result = `err ${(error as Error).name}`;
        }
        const expected = op.result!.startsWith("err Past")
          ? "err PositionInPastError"
          : op.result!.startsWith("err MissingQueue")
          ? "err MissingQueueError"
          : op.result!;
        assert.equal(
          result,
          expected,
          `${op.op} ${JSON.stringify(op).slice(0, 120)}`,
        );
      }
      await log.close();
      for (const file of manifest.wal_files) {
        const bytes = trimmed(
          new Uint8Array(readFileSync(`${dir}/${file.name}`)),
        );
        assert.equal(bytes.length, file.len);
        assert.equal(
          createHash("sha256").update(bytes).digest("hex"),
          file.sha256,
        );
      }
    } finally {
      removeDir(dir);
    }
  });
}
