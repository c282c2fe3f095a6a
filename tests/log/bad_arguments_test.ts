// Bad arguments at every public entry point of MultiRecordLog: each raises a
// clear TypeError or RangeError (or the documented typed error) and writes
// nothing: no file operation, same file bytes, same state.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import {
  MemoryFileAdapter,
  MissingQueueError,
  MultiRecordLog,
  PositionInPastError,
  QueueAlreadyExistsError,
} from "../../mod.ts";
import { tick } from "../support/waiting.ts";

const DIR = "/args/wal";
const SEGMENT_BYTES = 65_536;

const BAD_POSITIONS: [string, unknown][] = [
  ["-1", -1],
  ["1.5", 1.5],
  ["NaN", NaN],
  ["Infinity", Infinity],
  ["-Infinity", -Infinity],
  ["2^53", 2 ** 53],
  ["1e300", 1e300],
  ['"1"', "1"],
  ["1n", 1n],
  ["null", null],
  ["{}", {}],
  ["new Number(1)", new Number(1)],
];

const BAD_QUEUES: [string, unknown][] = [
  ['""', ""],
  ["undefined", undefined],
  ["null", null],
  ["42", 42],
  ["a symbol", Symbol("q")],
  ['new String("q")', new String("q")],
  ["a lone high surrogate", "\uD800"],
  ["a lone low surrogate", "q\uDC00q"],
  ["two high surrogates", "\uDBFF\uDBFF"],
  ["65,536 ASCII bytes", "x".repeat(65_536)],
  ["65,536 UTF-8 bytes of 2-byte characters", "é".repeat(32_768)],
];

const BAD_PAYLOADS: [string, unknown][] = [
  ['"abc"', "abc"],
  ["[1, 2, 3]", [1, 2, 3]],
  ["an ArrayBuffer", new ArrayBuffer(3)],
  ["a DataView", new DataView(new ArrayBuffer(3))],
  ["a Uint16Array", new Uint16Array(2)],
  ["a Uint8ClampedArray", new Uint8ClampedArray(2)],
  ["an Int8Array", new Int8Array(2)],
  ["null", null],
  ["undefined", undefined],
  ["an array-like", { length: 1, 0: 1 }],
];

const BAD_BATCHES: [string, unknown][] = [
  ["a Uint8Array (not in an array)", new Uint8Array(3)],
  ['"abc"', "abc"],
  ["a Set", new Set([new Uint8Array(1)])],
  ["an array-like", { length: 1, 0: new Uint8Array(1) }],
  ["null", null],
  ["undefined", undefined],
  ["good payloads then a bad one", [new Uint8Array(1), new Uint8Array(2), "x"]],
  ["an array with a hole", holey()],
];

function holey(): Uint8Array[] {
  const payloads = [new Uint8Array(1)];
  payloads[2] = new Uint8Array(1);
  return payloads;
}

/** The file operation counters a refused call must leave as they were. */
const OP_COUNTERS = [
  "writes",
  "bytesWritten",
  "syncs",
  "syncDirs",
  "opens",
  "removes",
  "renames",
  "truncates",
] as const;

/** Everything a call might change: file operations, file bytes, state. */
function fingerprint(fs: MemoryFileAdapter, log: MultiRecordLog): string {
  const stats = fs.stats;
  const files = fs.listFiles(DIR).map((name) => {
    const bytes = fs.readFileBytes(`${DIR}/${name}`);
    return `${name}:${bytes.length}:${crc32(bytes)}`;
  });
  const queues = log.listQueues().map((q) =>
    `${q}:${log.lastPosition(q)}:${[...log.range(q)].map((r) => r.position)}`
  );
  return JSON.stringify({
    ops: OP_COUNTERS.map((counter) => stats[counter]),
    files,
    queues,
    usage: log.resourceUsage(),
    retained: log.retainedBytes,
  });
}

/** A log with queue "q" holding positions 0..2 (of 5 bytes), and an empty queue "e". */
async function fixture(): Promise<
  { fs: MemoryFileAdapter; log: MultiRecordLog }
> {
  const fs = new MemoryFileAdapter();
  const log = await MultiRecordLog.open(DIR, {
    fileAdapter: fs,
    persistPolicy: { kind: "always", action: "fsync" },
    segmentBytes: SEGMENT_BYTES,
  });
  await log.createQueue("q");
  await log.createQueue("e");
  for (let i = 0; i < 3; i++) {
    await log.appendRecord("q", undefined, new Uint8Array(5).fill(i));
  }
  return { fs, log };
}

type Expected = RegExp | (new (...args: never[]) => Error);

/**
 * Checks that `call` throws (or rejects with) a TypeError or RangeError
 * (or `expected`), whose message matches `message`, and changes nothing.
 */
async function assertRefused(
  fs: MemoryFileAdapter,
  log: MultiRecordLog,
  label: string,
  call: () => unknown,
  message?: RegExp,
  expected?: Expected,
): Promise<void> {
  const before = fingerprint(fs, log);
  let error: unknown;
  try {
    await call();
  } catch (caught) {
    error = caught;
  }
  await tick();
  assert.ok(error !== undefined, `${label}: accepted`);
  if (expected === undefined) {
    assert.ok(
      error instanceof TypeError || error instanceof RangeError,
      `${label}: ${error}`,
    );
  } else if (expected instanceof RegExp) {
    assert.match(String(error), expected, label);
  } else {
    assert.ok(error instanceof expected, `${label}: ${error}`);
  }
  if (message) assert.match((error as Error).message, message, label);
  assert.equal(fingerprint(fs, log), before, `${label}: something changed`);
}

describe("bad queue names", () => {
  test("are refused by every method taking a queue", async () => {
    const { fs, log } = await fixture();
    const payload = new Uint8Array(1);
    for (const [name, queue] of BAD_QUEUES) {
      const q = queue as string;
      const calls: [string, () => unknown][] = [
        ["createQueue", () => log.createQueue(q)],
        ["deleteQueue", () => log.deleteQueue(q)],
        ["queueExists", () => log.queueExists(q)],
        ["appendRecord", () => log.appendRecord(q, undefined, payload)],
        ["appendRecords", () => log.appendRecords(q, 0, [payload])],
        ["truncate", () => log.truncate(q, 0)],
        ["range", () => log.range(q)],
        ["lastPosition", () => log.lastPosition(q)],
        ["lastRecord", () => log.lastRecord(q)],
        ["writable", () => log.writable(q)],
        ["readable", () => log.readable(q)],
      ];
      for (const [method, call] of calls) {
        await assertRefused(fs, log, `${method}(${name})`, call, /queue/);
      }
    }
    await log.close();
  });

  test("the longest name (65,535 UTF-8 bytes) is accepted", async () => {
    const { log } = await fixture();
    const name = "é".repeat(32_767) + "x";
    await log.createQueue(name);
    await log.appendRecord(name, undefined, new Uint8Array([9]));
    assert.equal(log.lastPosition(name), 0);
    await log.close();
  });
});

describe("bad positions", () => {
  test("are refused by appendRecord(s), truncate, range, writable and readable", async () => {
    const { fs, log } = await fixture();
    const payload = new Uint8Array(1);
    for (const [name, position] of BAD_POSITIONS) {
      const p = position as number;
      const calls: [string, () => unknown][] = [
        ["appendRecord", () => log.appendRecord("q", p, payload)],
        ["appendRecords", () => log.appendRecords("q", p, [payload])],
        ["appendRecords (empty batch)", () => log.appendRecords("e", p, [])],
        ["truncate", () => log.truncate("q", p)],
        ["range from", () => log.range("q", { from: p })],
        ["range to", () => log.range("q", { to: p })],
        ["writable position", () => log.writable("q", { position: p })],
        ["readable from", () => log.readable("q", { from: p })],
        ["readable to", () => log.readable("q", { to: p })],
      ];
      for (const [method, call] of calls) {
        await assertRefused(
          fs,
          log,
          `${method}(${name})`,
          call,
          /position|from|to/,
        );
      }
    }
    await assertRefused(
      fs,
      log,
      "truncate(undefined)",
      () => log.truncate("q", undefined as unknown as number),
    );
    await log.close();
  });

  test("a batch whose last position would pass 2^53 - 1 is refused", async () => {
    const { fs, log } = await fixture();
    const max = Number.MAX_SAFE_INTEGER;
    await assertRefused(
      fs,
      log,
      "appendRecords at 2^53 - 1 with 2 records",
      () => log.appendRecords("e", max, [new Uint8Array(1), new Uint8Array(1)]),
    );
    await assertRefused(
      fs,
      log,
      "appendRecords at 2^53 - 2 with 3 records",
      () =>
        log.appendRecords("e", max - 1, [
          new Uint8Array(1),
          new Uint8Array(1),
          new Uint8Array(1),
        ]),
    );
    // The last safe position itself is fine; the queue is then full.
    assert.equal(
      (await log.appendRecord("e", max, new Uint8Array(1))).lastPosition,
      max,
    );
    assert.equal(log.lastPosition("e"), max);
    await assertRefused(
      fs,
      log,
      "appendRecord past 2^53 - 1",
      () => log.appendRecord("e", undefined, new Uint8Array(1)),
    );
    await log.close();
    const again = await MultiRecordLog.open(DIR, {
      fileAdapter: fs,
      segmentBytes: SEGMENT_BYTES,
    });
    assert.equal(again.lastPosition("e"), max);
    await again.close();
  });

  test("a position in the past raises PositionInPastError and writes nothing", async () => {
    const { fs, log } = await fixture();
    for (const position of [0, 1]) {
      await assertRefused(
        fs,
        log,
        `appendRecord("q", ${position})`,
        () => log.appendRecord("q", position, new Uint8Array(1)),
        /past/,
        PositionInPastError,
      );
    }
    await log.close();
  });
});

describe("bad payloads", () => {
  test("are refused by appendRecord and appendRecords", async () => {
    const { fs, log } = await fixture();
    for (const [name, payload] of BAD_PAYLOADS) {
      const p = payload as Uint8Array;
      await assertRefused(
        fs,
        log,
        `appendRecord(${name})`,
        () => log.appendRecord("q", undefined, p),
        /payload/,
      );
      await assertRefused(
        fs,
        log,
        `appendRecords([${name}])`,
        () => log.appendRecords("q", undefined, [new Uint8Array(1), p]),
        /payload/,
      );
    }
    for (const [name, batch] of BAD_BATCHES) {
      await assertRefused(
        fs,
        log,
        `appendRecords(${name})`,
        () => log.appendRecords("q", undefined, batch as Uint8Array[]),
        /payload/,
      );
    }
    await log.close();
  });

  test("bad chunks make a writable stream error and write nothing", async () => {
    const { fs, log } = await fixture();
    for (
      const [name, chunk] of [...BAD_PAYLOADS, ["a batch with a string", ["x"]]]
    ) {
      const writer = log.writable("q").getWriter();
      await assertRefused(
        fs,
        log,
        `writable().write(${name})`,
        () => writer.write(chunk as Uint8Array),
      );
      await writer.abort().catch(() => {});
    }
    await log.close();
  });
});

describe("other bad arguments", () => {
  test('persist takes only "flush" or "fsync"', async () => {
    const { fs, log } = await fixture();
    for (const action of ["sync", "FSYNC", undefined, null, 1, {}]) {
      await assertRefused(
        fs,
        log,
        `persist(${String(action)})`,
        () => log.persist(action as "fsync"),
        /flush|fsync/,
      );
    }
    await log.close();
  });

  test("onChange takes only a function", async () => {
    const { fs, log } = await fixture();
    for (const listener of [42, "f", null, undefined, {}]) {
      await assertRefused(
        fs,
        log,
        `onChange(${String(listener)})`,
        () => log.onChange(listener as () => void),
      );
    }
    // Appends still resolve (a stored non-function would throw in them).
    await log.appendRecord("q", undefined, new Uint8Array(1));
    await log.close();
  });

  test("stream options are checked", async () => {
    const { fs, log } = await fixture();
    const calls: [string, () => unknown][] = [
      [
        "writable memoryWaitTimeoutMs -1",
        () => log.writable("q", { memoryWaitTimeoutMs: -1 }),
      ],
      [
        "writable memoryWaitTimeoutMs NaN",
        () => log.writable("q", { memoryWaitTimeoutMs: NaN }),
      ],
      [
        "writable highWaterMark -1",
        () => log.writable("q", { highWaterMark: -1 }),
      ],
      [
        'readable follow "yes"',
        () => log.readable("q", { follow: "yes" as unknown as boolean }),
      ],
      [
        "readable highWaterMark NaN",
        () => log.readable("q", { highWaterMark: NaN }),
      ],
    ];
    for (const [label, call] of calls) {
      await assertRefused(fs, log, label, call);
    }
    await log.close();
  });

  test("typed errors for missing and existing queues write nothing", async () => {
    const { fs, log } = await fixture();
    await assertRefused(
      fs,
      log,
      "createQueue(existing)",
      () => log.createQueue("q"),
      /q/,
      QueueAlreadyExistsError,
    );
    const missing: [string, () => unknown][] = [
      ["deleteQueue", () => log.deleteQueue("nope")],
      [
        "appendRecord",
        () => log.appendRecord("nope", undefined, new Uint8Array(1)),
      ],
      ["truncate", () => log.truncate("nope", 0)],
      ["range", () => log.range("nope")],
      ["lastPosition", () => log.lastPosition("nope")],
      ["lastRecord", () => log.lastRecord("nope")],
      ["writable", () => log.writable("nope")],
      ["readable", () => log.readable("nope")],
    ];
    for (const [method, call] of missing) {
      await assertRefused(
        fs,
        log,
        `${method}(missing)`,
        call,
        /nope/,
        MissingQueueError,
      );
    }
    await log.close();
  });
});

describe("bad open arguments", () => {
  const cases: [string, unknown, unknown][] = [
    ['dir ""', "", {}],
    ["dir 42", 42, {}],
    ["dir undefined", undefined, {}],
    ["persistPolicy null", DIR, { persistPolicy: null }],
    ['persistPolicy "always"', DIR, { persistPolicy: "always" }],
    ["persistPolicy without action", DIR, {
      persistPolicy: { kind: "always" },
    }],
    ['persistPolicy action "sync"', DIR, {
      persistPolicy: { kind: "always", action: "sync" },
    }],
    ['persistPolicy kind "never"', DIR, {
      persistPolicy: { kind: "never", action: "fsync" },
    }],
    ["onDelay without intervalMs", DIR, {
      persistPolicy: { kind: "onDelay", action: "fsync" },
    }],
    ["onDelay intervalMs 0", DIR, {
      persistPolicy: { kind: "onDelay", action: "fsync", intervalMs: 0 },
    }],
    ["onDelay intervalMs -5", DIR, {
      persistPolicy: { kind: "onDelay", action: "flush", intervalMs: -5 },
    }],
    ["onDelay intervalMs NaN", DIR, {
      persistPolicy: { kind: "onDelay", action: "flush", intervalMs: NaN },
    }],
    ["segmentBytes 0", DIR, { segmentBytes: 0 }],
    ["segmentBytes -32768", DIR, { segmentBytes: -32_768 }],
    ["segmentBytes 1000", DIR, { segmentBytes: 1_000 }],
    ["segmentBytes 32768.5", DIR, { segmentBytes: 32_768.5 }],
    ["segmentBytes NaN", DIR, { segmentBytes: NaN }],
    ['segmentBytes "32768"', DIR, { segmentBytes: "32768" }],
    ["segmentBytes 2^60", DIR, { segmentBytes: 2 ** 60 }],
    ["memoryLimitBytes 0", DIR, { memoryLimitBytes: 0 }],
    ["memoryLimitBytes -1", DIR, { memoryLimitBytes: -1 }],
    ["memoryLimitBytes NaN", DIR, { memoryLimitBytes: NaN }],
    ['memoryLimitBytes "1"', DIR, { memoryLimitBytes: "1" }],
    ["diskLimitBytes 0", DIR, { diskLimitBytes: 0 }],
    ["diskLimitBytes NaN", DIR, { diskLimitBytes: NaN }],
    ['diskLimitBytes "1"', DIR, { diskLimitBytes: "1" }],
    ["diskLimitBytes under two files", DIR, { diskLimitBytes: 1024 }],
    ['readOnly "yes"', DIR, { readOnly: "yes" }],
    ["prefaultChunks 0", DIR, { prefaultChunks: 0 }],
    ['prefaultChunks "false"', DIR, { prefaultChunks: "false" }],
  ];
  for (const [label, dir, options] of cases) {
    test(`${label} is refused before anything is created`, async () => {
      const fs = new MemoryFileAdapter();
      await assert.rejects(
        MultiRecordLog.open(dir as string, {
          ...options as object,
          fileAdapter: fs,
        }),
        (error: unknown) =>
          error instanceof TypeError || error instanceof RangeError,
      );
      assert.equal(fs.pathExists(DIR), false);
      assert.equal(fs.stats.opens, 0);
    });
  }

  test("a non-function onWarning fails the open of a damaged log and leaves it unlocked", async () => {
    const fs = new MemoryFileAdapter();
    const log = await MultiRecordLog.open(DIR, { fileAdapter: fs });
    await log.createQueue("q");
    await log.close();
    // Damage the first frame's checksum: opening skips it with a warning.
    const path = `${DIR}/wal-00000000000000000000`;
    const bytes = fs.readFileBytes(path);
    bytes[0] ^= 0xff;
    fs.writeFileBytes(path, bytes);
    await assert.rejects(
      MultiRecordLog.open(DIR, {
        fileAdapter: fs,
        onWarning: 42 as unknown as () => void,
      }),
      TypeError,
    );
    // The failed open released the directory.
    const again = await MultiRecordLog.open(DIR, {
      fileAdapter: fs,
      onWarning: () => {},
    });
    await again.close();
  });
});
