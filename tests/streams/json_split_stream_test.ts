import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  JsonSplitStream,
  MalformedJsonError,
} from "../../src/streams/json_split_stream.ts";
import { RecordTooLargeError } from "../../src/errors.ts";
import { pipeChunks } from "../support/pipe_chunks.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Cuts `bytes` at `cuts` (offsets, any order). */
function cut(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((
    a,
    b,
  ) => a - b);
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const end of [...at, bytes.length]) {
    parts.push(bytes.subarray(start, end));
    start = end;
  }
  return parts;
}

/** The records of `input` (cut at `cuts`), as text. */
async function records(
  input: string | Uint8Array,
  cuts: number[] = [],
  options?: ConstructorParameters<typeof JsonSplitStream>[0],
): Promise<string[]> {
  const bytes = typeof input === "string" ? encoder.encode(input) : input;
  const out = await pipeChunks(new JsonSplitStream(options), cut(bytes, cuts));
  return out.map((r) => decoder.decode(r));
}

/** The error of splitting `input`, asserted to be a MalformedJsonError. */
async function malformed(
  input: string | Uint8Array,
  cuts: number[] = [],
): Promise<MalformedJsonError> {
  try {
    await records(input, cuts);
  } catch (error) {
    assert.ok(error instanceof MalformedJsonError, String(error));
    return error;
  }
  assert.fail(`no error for ${String(input)}`);
}

/** What the stream must give for a body JSON.parse accepts. */
function expected(text: string): string[] {
  const value = JSON.parse(text);
  return Array.isArray(value)
    ? value.map((v) => JSON.stringify(v))
    : [JSON.stringify(value)];
}

/** A JSON text of `value` with random whitespace between tokens. */
function spaced(value: unknown, spaces: string[]): string {
  let k = 0;
  const ws = (): string => spaces[k++ % spaces.length];
  const write = (v: unknown): string => {
    if (Array.isArray(v)) {
      return `[${ws()}${
        v.map((e) => write(e)).join(`${ws()},${ws()}`)
      }${ws()}]`;
    }
    if (v !== null && typeof v === "object") {
      const entries = Object.entries(v).map(([key, e]) =>
        `${JSON.stringify(key)}${ws()}:${ws()}${write(e)}`
      );
      return `{${ws()}${entries.join(`${ws()},${ws()}`)}${ws()}}`;
    }
    return JSON.stringify(v);
  };
  return ws() + write(value) + ws();
}

describe("JsonSplitStream", () => {
  test("an array is one record per element, an object one record", async () => {
    assert.deepEqual(await records('[{"a": 1}, {"b": [2, 3]}, 4, "x", null]'), [
      '{"a":1}',
      '{"b":[2,3]}',
      "4",
      '"x"',
      "null",
    ]);
    assert.deepEqual(await records(' {"msg" : "hi",\n "n": [ ] }\n'), [
      '{"msg":"hi","n":[]}',
    ]);
    assert.deepEqual(await records("[]"), []);
    assert.deepEqual(await records(" [ ] "), []);
    assert.deepEqual(await records("{}"), ["{}"]);
  });

  test("each record is JSON.stringify of the element: numbers and escapes as JavaScript writes them", async () => {
    assert.deepEqual(
      await records(
        '[1.0, 1e2, -0, 1E400, "\\u0041\\/", "\\ud800", {"a":1,"a":2}]',
      ),
      ["1", "100", "0", "null", '"A/"', '"\\ud800"', '{"a":2}'],
    );
  });

  test("the records do not depend on how the input is cut", async () => {
    const text =
      '[ {"level":30,"msg":"caf\u00e9 \\"q\\" \\u00e9"} , -12.5e-3 , true , false , null , [[]] ]';
    const want = expected(text);
    const bytes = encoder.encode(text);
    for (let at = 0; at <= bytes.length; at++) {
      assert.deepEqual(await records(bytes, [at]), want, `cut at ${at}`);
    }
    const oneByOne = Array.from({ length: bytes.length }, (_, i) => i);
    assert.deepEqual(await records(bytes, oneByOne), want);
  });

  test("agrees with JSON.parse on random values, whitespace and cuts", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(fc.jsonValue({ maxDepth: 4 }), { maxLength: 8 }),
          fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })),
        ),
        fc.array(fc.constantFrom("", " ", "\n", "\t", "\r\n "), {
          minLength: 1,
        }),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (value, spaces, cuts) => {
          const text = spaced(value, spaces);
          assert.deepEqual(await records(text, cuts), expected(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  test("refuses what JSON.parse refuses, and accepts what it accepts (mutated texts)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }),
        fc.nat(),
        fc.constantFrom(...'[]{},:"\\ 0123456789.eE+-tfnrulx\u0001'),
        fc.constantFrom("insert", "replace", "delete"),
        fc.array(fc.nat(), { maxLength: 3 }),
        async (value, where, char, how, cuts) => {
          const text = JSON.stringify(value);
          const at = where % (text.length + 1);
          const mutated = how === "insert"
            ? text.slice(0, at) + char + text.slice(at)
            : how === "replace"
            ? text.slice(0, at) + char + text.slice(at + 1)
            : text.slice(0, at) + text.slice(at + 1);
          let parsed: unknown;
          try {
            parsed = JSON.parse(mutated);
          } catch {
            const error = await malformed(mutated, cuts);
            assert.ok(error.offset >= 0 && error.offset <= mutated.length);
            return;
          }
          if (parsed === null || typeof parsed !== "object") {
            await malformed(mutated, cuts); // a shape error
          } else {
            assert.deepEqual(await records(mutated, cuts), expected(mutated));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  test("texts already compact are kept as they are, others rewritten: numbers, keys, escapes", async () => {
    const elements = [
      '{"a":1,"a":2}', // a repeated key: JSON.parse keeps the last
      '{"b":1,"1":2,"0":3}', // index-like keys come first
      '{"007":1,"__proto__":2,"":3}',
      '{"x":{"k":1},"y":{"k":2}}', // the same key in two objects
      '"a\\/b\\u00e9\\n\\"c"',
      '"\\ud83d\\ude00 \\ud800"',
      '"x\\/y \\" \\\\ \\n"', // an escaped slash is written /
      "[0,-0,0.5,-0.50,1e3,1E-7,0.000001,0.0000001,123456789012345678]",
      "[9007199254740993,1.7976931348623157e308,5e-324,2e400,100,-12.25]",
    ];
    const text = `[${elements.join(",")}]`;
    assert.deepEqual(await records(text), expected(text));
    for (let at = 0; at < text.length; at += 7) {
      assert.deepEqual(await records(text, [at, at + 3]), expected(text));
    }
  });

  test("numbers agree with JSON.stringify, compact or not", async () => {
    const digits = (min: number) =>
      fc.stringMatching(new RegExp(`^[0-9]{${min},18}$`));
    const numberText = fc.tuple(
      fc.constantFrom("", "-"),
      fc.oneof(fc.constant("0"), digits(1).map((d) => "1" + d)),
      fc.option(digits(1), { nil: undefined }),
      fc.option(
        fc.tuple(
          fc.constantFrom("e", "E"),
          fc.constantFrom("", "+", "-"),
          digits(1),
        ),
        { nil: undefined },
      ),
    ).map(([sign, int, frac, exp]) =>
      sign + int + (frac === undefined ? "" : "." + frac) +
      (exp === undefined ? "" : exp.join(""))
    );
    const printed = fc.double().map((x) => String(x)).filter((t) =>
      /^-?[0-9]/.test(t)
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(numberText, printed), {
          minLength: 1,
          maxLength: 20,
        }),
        async (numbers) => {
          const text = `[${numbers.join(",")},{"n":[${numbers.join(",")}]}]`;
          assert.deepEqual(await records(text), expected(text));
        },
      ),
      { numRuns: 500 },
    );
  });

  test("a syntax error carries its byte offset", async () => {
    const cases: [string, number, RegExp][] = [
      ['[{"a":1},]', 9, /Expected a value/],
      ['[{"a":1} {"b":2}]', 9, /Expected ',' or '\]'/],
      ['{"a" 1}', 5, /Expected ':'/],
      ['{"a":1,}', 7, /Expected a string key/],
      ['["caf\u00e9", tru]', 13, /Invalid literal/],
      ["[01]", 2, /Expected ',' or '\]'/],
      ["[1.]", 3, /Invalid number/],
      ['["a\\x"]', 4, /Invalid escape/],
      ['["\\u12G4"]', 6, /Invalid \\u escape/],
      ['["a\tb"]', 3, /Control character/],
      ["[1] [2]", 4, /after the JSON value/],
      ['[{"a":[1,2}]', 10, /Expected ',' or '\]'/],
      ["[1,2", 4, /ends inside a value/],
      ['{"a":"b', 7, /ends inside a value/],
      ["", 0, /body is empty/],
      ["  \n", 3, /body is empty/],
      ["x", 0, /Expected a JSON array or object/],
    ];
    for (const [text, offset, message] of cases) {
      for (const cuts of [[], [offset], [1, 2, 3, 5, 8]]) {
        const error = await malformed(text, cuts);
        assert.equal(error.offset, offset, `${text}: ${error.message}`);
        assert.match(error.message, message);
        assert.match(error.message, new RegExp(`at byte ${offset}$`));
      }
    }
  });

  test("other shapes are refused at offset of the value", async () => {
    for (
      const [text, shape] of [
        ["42", "a number"],
        [' "text"', "a string"],
        ["null", "null"],
        ["true", "a boolean"],
        ["-1", "a number"],
      ]
    ) {
      const error = await malformed(text);
      assert.match(error.message, new RegExp(`not ${shape}`));
      assert.equal(error.offset, text.indexOf(text.trim()[0]));
    }
  });

  test("invalid UTF-8 is refused at its byte offset", async () => {
    const bytes = encoder.encode('["ok", "caf\u00e9 x"]');
    const bad = bytes.slice();
    bad[14] = 0xff; // the x
    const error = await malformed(bad, [12]);
    assert.equal(error.offset, 14);
    assert.match(error.message, /Invalid UTF-8/);
    const truncated = new Uint8Array([
      ...encoder.encode('["a'),
      0xc3,
      0x22,
      0x5d,
    ]);
    assert.equal((await malformed(truncated)).offset, 3);
  });

  test("nesting past maxDepth is refused; up to it is accepted", async () => {
    const deep = (n: number): string => "[".repeat(n) + "]".repeat(n);
    assert.deepEqual(await records(deep(512)), [deep(511)]);
    const error = await malformed(deep(513));
    assert.equal(error.offset, 512);
    assert.match(error.message, /Nesting deeper than 512/);
  });

  test("maxRecordBytes applies to each record's compact text", async () => {
    const element = JSON.stringify({ pad: "x".repeat(90) }); // 100 bytes
    assert.equal(element.length, 100);
    const spacedOut = `[ ${element.replace(":", " :  ")} , ${element} ]`;
    assert.deepEqual(
      await records(spacedOut, [], { maxRecordBytes: 100 }),
      [element, element],
    );
    await assert.rejects(
      records(`[${element}, 1]`, [], { maxRecordBytes: 99 }),
      RecordTooLargeError,
    );
  });

  test("records are emitted as their element ends, before the input does", async () => {
    const stream = new JsonSplitStream();
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    writer.write(encoder.encode('[{"a":1},{"b"')).catch(() => {});
    const first = await reader.read();
    assert.equal(decoder.decode(first.value), '{"a":1}');
    writer.write(encoder.encode(":2}]")).catch(() => {});
    writer.close().catch(() => {});
    assert.equal(decoder.decode((await reader.read()).value), '{"b":2}');
    assert.equal((await reader.read()).done, true);
  });

  test("refuses bad options", () => {
    assert.throws(() => new JsonSplitStream({ maxRecordBytes: 0 }), RangeError);
    assert.throws(() => new JsonSplitStream({ maxDepth: 1.5 }), RangeError);
  });
});
