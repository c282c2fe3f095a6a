import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, readdirSync } from "node:fs";
import { MultiRecordLog } from "../../mod.ts";
import { removeDir, tempDir } from "../support/temp_dir.ts";
import {
  RUST_FIXTURES,
  rustFixtureJson,
  rustFixtureNames,
} from "../support/rust_fixtures.ts";

const names = rustFixtureNames();

interface Dump {
  queues: Record<
    string,
    { records: [number, string][]; last_position: number | null }
  >;
}

function copyFixture(name: string): string {
  const dir = tempDir("mrecordlog-fixture-");
  cpSync(`${RUST_FIXTURES}${name}/wal`, dir, { recursive: true });
  return dir;
}

async function stateOf(log: MultiRecordLog): Promise<Dump> {
  const queues: Dump["queues"] = {};
  for (const queue of log.listQueues()) {
    queues[queue] = {
      records: [...log.range(queue)].map((r) => [
        r.position,
        Buffer.from(r.payload).toString("base64"),
      ]),
      last_position: log.lastPosition(queue) ?? null,
    };
  }
  return await Promise.resolve({ queues });
}

test("every Rust fixture is listed and present", () => {
  assert.deepEqual(
    [...names].sort(),
    readdirSync(RUST_FIXTURES, { withFileTypes: true })
      .filter((e) => e.isDirectory()).map((e) => e.name).sort(),
  );
  assert.ok(names.length >= 8);
});

for (const name of names) {
  test(`Rust fixture ${name} opens with the state the Rust crate reads`, async () => {
    const expected: Dump = rustFixtureJson(name, "dump.json");
    const dir = copyFixture(name);
    const warnings: string[] = [];
    try {
      const log = await MultiRecordLog.open(dir, {
        onWarning: (w) => warnings.push(w),
      });
      assert.deepEqual(await stateOf(log), expected);
      // As many damaged frames as the Rust reader warned about, and a warning iff any.
      const manifest = rustFixtureJson(name, "manifest.json");
      const rustWarnings = (manifest.dump_stderr as string[])
        .filter((line) => line.includes("WARN")).length;
      assert.equal(log.summary().recovery.corruptionCount, rustWarnings);
      assert.equal(warnings.length > 0, rustWarnings > 0);
      await log.close();
      // Reopening what this library wrote back (resume offset, GC) keeps the same state.
      const again = await MultiRecordLog.open(dir, { onWarning: () => {} });
      assert.deepEqual(await stateOf(again), expected);
      await again.close();
    } finally {
      removeDir(dir);
    }
  });
}
