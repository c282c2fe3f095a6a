/**
 * The README's complete TypeScript programs (the first ```ts block of
 * "Use" and of "Scaling out"), made runnable in a test: the log directory
 * and the NATS server's URL replaced by the test's, nothing else. The other
 * ```ts blocks of the README are fragments (they call functions the reader
 * writes) and are not run.
 *
 * @module
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { MultiRecordLog } from "../../mod.ts";
import { readStream } from "../jetstream/stream_contents.ts";
import { REPO } from "./process_helpers.ts";

/** The README's sections whose first ```ts block is a whole program. */
export const EXAMPLES = {
  use: "## Use",
  scalingOut: "## Scaling out: forwarding to NATS JetStream",
} as const;

/** The first ```ts block after `heading` in the README (up to the next `## `). */
export function readmeExample(heading: string): string {
  const readme = readFileSync(`${REPO}README.md`, "utf8");
  const start = readme.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`the README has no "${heading}"`);
  const next = readme.indexOf("\n## ", start + heading.length + 2);
  const section = readme.slice(start, next === -1 ? undefined : next);
  const block = section.match(/^```ts\n([\s\S]*?)^```/m);
  if (!block) throw new Error(`no \`\`\`ts block under "${heading}"`);
  return block[1];
}

/**
 * `code` with its log directory (`"./wal"`) made `dir` and the NATS
 * server's URL (`nats://127.0.0.1:4222`) made `natsUrl`; throws if `code`
 * names neither directory, so that a change of the README is noticed.
 */
export function runnableExample(
  code: string,
  dir: string,
  natsUrl?: string,
): string {
  if (!code.includes(`"./wal"`)) {
    throw new Error(`the example opens no "./wal":\n${code}`);
  }
  let out = code.replaceAll(`"./wal"`, JSON.stringify(dir));
  if (natsUrl !== undefined) {
    if (!out.includes("nats://127.0.0.1:4222")) {
      throw new Error(`the example names no nats://127.0.0.1:4222:\n${code}`);
    }
    out = out.replaceAll("nats://127.0.0.1:4222", natsUrl);
  }
  return out;
}

/**
 * Asserts that the Scaling out example, run on log `dir`, put its one
 * record in stream EVENTS at `url` and that the log acknowledged it.
 */
export async function assertScalingOutRan(
  dir: string,
  url: string,
): Promise<void> {
  const stored = await readStream(url, "EVENTS");
  assert.deepEqual(
    stored.map((r) => [r.msgId, new TextDecoder().decode(r.data)]),
    [["events/0", "hi"]],
  );
  const log = await MultiRecordLog.open(dir, { readOnly: true });
  try {
    assert.deepEqual(log.listConsumers("events"), [
      { name: "jetstream", acked: 0, lag: 0 },
    ]);
  } finally {
    await log.close();
  }
}
