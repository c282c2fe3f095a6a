/**
 * A byte stream splitter for JSON bodies: a JSON array is one record per
 * element, a JSON object is one record; each record is the element's compact
 * JSON text (`JSON.stringify` of it), UTF-8.
 *
 * @module
 */

import { RecordTooLargeError } from "../errors.ts";
import {
  invalidUtf8At,
  isDigit,
  isHex,
  isSpace,
  numberCanEnd,
  numberStart,
  numberStep,
  shapeOf,
} from "./json_bytes.ts";

/**
 * Raised (as the stream's error) by {@linkcode JsonSplitStream} when its
 * input is not a JSON array or object: a syntax error, invalid UTF-8, a
 * value of another shape (a number, a string, `null`…), nesting past the
 * limit, or input ending inside the value.
 */
export class MalformedJsonError extends Error {
  /** The byte offset in the input where the problem is. */
  readonly offset: number;
  /** Builds the error: `reason` at byte `offset`. */
  constructor(reason: string, offset: number) {
    super(`${reason} at byte ${offset}`);
    this.name = "MalformedJsonError";
    this.offset = offset;
  }
}

/** Options for {@linkcode JsonSplitStream}. */
export interface JsonSplitStreamOptions {
  /**
   * The largest record accepted, in bytes of its compact JSON text; a larger
   * one errors the stream with a {@linkcode RecordTooLargeError}. Defaults
   * to 16 MiB.
   */
  maxRecordBytes?: number;
  /** The deepest nesting of arrays and objects accepted. Defaults to 512. */
  maxDepth?: number;
}

/**
 * Splits a JSON text into records as it arrives: a top-level array gives one
 * record per element, a top-level object one record. Each record is
 * `JSON.stringify` of the element (no whitespace, numbers and escapes as
 * JavaScript writes them), UTF-8 encoded: the line an NDJSON shipper would
 * have sent for it. The input is checked as it streams (RFC 8259, UTF-8);
 * any fault errors the stream with a {@linkcode MalformedJsonError} carrying
 * its byte offset. Only the element being read is held. An element whose
 * text is already what `JSON.stringify` writes (what shippers send: no
 * whitespace, numbers as JavaScript prints them, no `\u` or `\/` escape, no
 * repeated or index-like key) is emitted as it is, without being parsed.
 *
 * @example
 * ```ts
 * import { JsonSplitStream } from "@x/mrecordlog";
 *
 * const body = new Blob(['[{"a": 1}, {"b": [2, 3]}]']).stream();
 * const records: string[] = [];
 * for await (const record of body.pipeThrough(new JsonSplitStream())) {
 *   records.push(new TextDecoder().decode(record));
 * }
 * // records: ['{"a":1}', '{"b":[2,3]}']
 * ```
 */
export class JsonSplitStream extends TransformStream<Uint8Array, Uint8Array> {
  /**
   * Builds a splitter.
   *
   * @throws {RangeError} If `maxRecordBytes` or `maxDepth` is not a positive
   * integer.
   */
  constructor(options: JsonSplitStreamOptions = {}) {
    const { maxRecordBytes = 16 * 1024 * 1024, maxDepth = 512 } = options;
    for (
      const [name, value] of [["maxRecordBytes", maxRecordBytes], [
        "maxDepth",
        maxDepth,
      ]] as const
    ) {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new RangeError(
          `${name} must be a positive integer, got ${value}`,
        );
      }
    }
    super(jsonSplitter(maxRecordBytes, maxDepth));
  }
}

// Where the scanner is.
const TOP = 0; // before the top-level value
const VALUE = 1; // a value is expected
const AFTER = 2; // after a value in a container: `,` or its end
const KEY = 3; // an object's key (or its end, right after `{`)
const COLON = 4;
const STRING = 5;
const ESCAPE = 6;
const HEX = 7;
const NUMBER = 8;
const LITERAL = 9;
const END = 10; // after the top-level value: whitespace only

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const ESCAPES = new Set([...'"\\/bfnrt'].map((c) => c.charCodeAt(0)));
const LITERALS: Record<number, Uint8Array> = {
  0x74: new TextEncoder().encode("true"),
  0x66: new TextEncoder().encode("false"),
  0x6e: new TextEncoder().encode("null"),
};

/** The transformer of {@linkcode JsonSplitStream}. */
function jsonSplitter(
  maxRecordBytes: number,
  maxDepth: number,
): Transformer<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const encoder = new TextEncoder();
  const stack: number[] = []; // the open containers' opening bytes
  let state = TOP;
  let recordDepth = 0; // 1 for a top-level array, 0 for an object
  let justOpened = false; // right after `[` or `{`: its end may come
  let isKey = false; // the string read is an object key
  let numberState = numberStart(0x30);
  let literal: Uint8Array = LITERALS[0x74];
  let literalAt = 0;
  let hexLeft = 0;
  let base = 0; // input bytes before the current chunk
  // The record being read: its offset, and its bytes from earlier chunks.
  let recordOffset = -1;
  let pieces: Uint8Array[] = [];
  // Whether the record's text is already what JSON.stringify writes (no
  // whitespace, no \u or \/ escape, numbers as String(number) writes them,
  // no index-like or repeated key: see `compact`); the bytes of its strings
  // ORed (non-ASCII if >= 0x80); its number's text; its key's hash.
  let compact = true;
  let stringBytes = 0;
  let numberText = "";
  let keyHash = 0;
  let keyDigits = true;
  const keys: (number[] | undefined)[] = []; // hashes per open object

  const fail = (reason: string, offset: number): never => {
    throw new MalformedJsonError(reason, offset);
  };

  const emit = (
    bytes: Uint8Array,
    controller: TransformStreamDefaultController<Uint8Array>,
  ): void => {
    let record = bytes;
    if (!compact || stringBytes >= 0x80) {
      let text: string;
      try {
        text = decoder.decode(bytes);
      } catch {
        return fail("Invalid UTF-8", recordOffset + invalidUtf8At(bytes));
      }
      if (!compact) record = encoder.encode(JSON.stringify(JSON.parse(text)));
    }
    if (record.byteLength > maxRecordBytes) {
      throw new RecordTooLargeError(maxRecordBytes);
    }
    controller.enqueue(record);
  };

  return {
    transform(chunk, controller): void {
      if (!(chunk instanceof Uint8Array)) {
        throw new TypeError("JsonSplitStream accepts only Uint8Array chunks");
      }
      // Where the record being read starts in this chunk (0 if earlier).
      let recordStart = 0;
      // A key read: JSON.parse moves index-like keys ("0", "12") first and
      // keeps one of repeated keys, so either makes the text not compact.
      const keyEnded = (): void => {
        if (keyDigits) compact = false;
        const seen = keys[keys.length - 1];
        if (seen === undefined) keys[keys.length - 1] = [keyHash];
        else if (seen.includes(keyHash)) compact = false;
        else seen.push(keyHash);
      };
      // Ends the value whose last byte is before `end`.
      const valueEnded = (end: number): void => {
        if (stack.length === recordDepth && recordOffset >= 0) {
          const tail = chunk.subarray(recordStart, end);
          const bytes = pieces.length === 0 ? tail : concat([...pieces, tail]);
          emit(bytes, controller);
          pieces = [];
          recordOffset = -1;
        }
        state = stack.length === 0 ? END : AFTER;
      };
      const n = chunk.length;
      let i = 0;
      while (i < n) {
        const b = chunk[i];
        switch (state) {
          case STRING: {
            let j = i;
            let c = b;
            let seen = 0;
            if (isKey) {
              while (c !== QUOTE && c !== BACKSLASH && c >= 0x20) {
                keyHash = (Math.imul(keyHash, 31) + c) | 0;
                if (c < 0x30 || c > 0x39) keyDigits = false;
                seen |= c;
                if (++j === n) break;
                c = chunk[j];
              }
            } else {
              while (c !== QUOTE && c !== BACKSLASH && c >= 0x20) {
                seen |= c;
                if (++j === n) break;
                c = chunk[j];
              }
            }
            stringBytes |= seen;
            if (j === n) {
              i = n;
              continue;
            }
            i = j;
            if (c === QUOTE) {
              if (isKey) {
                state = COLON;
                keyEnded();
              } else valueEnded(i + 1);
            } else if (c === BACKSLASH) state = ESCAPE;
            else fail("Control character in a string", base + i);
            break;
          }
          case ESCAPE:
            if (b === 0x75) {
              state = HEX;
              hexLeft = 4;
              compact = false;
            } else if (ESCAPES.has(b)) {
              state = STRING;
              if (b === 0x2f) compact = false;
              keyHash = (Math.imul(keyHash, 31) + b) | 0;
              keyDigits = false;
            } else fail("Invalid escape in a string", base + i);
            break;
          case HEX:
            if (!isHex(b)) fail("Invalid \\u escape in a string", base + i);
            if (--hexLeft === 0) state = STRING;
            break;
          case NUMBER: {
            const next = numberStep(numberState, b);
            if (next >= 0) {
              numberState = next;
              numberText += String.fromCharCode(b);
              break;
            }
            if (!numberCanEnd(numberState)) fail("Invalid number", base + i);
            if (compact && String(Number(numberText)) !== numberText) {
              compact = false;
            }
            valueEnded(i);
            continue; // the byte after the number, read again
          }
          case LITERAL:
            if (b !== literal[literalAt]) fail("Invalid literal", base + i);
            if (++literalAt === literal.length) valueEnded(i + 1);
            break;
          default:
            if (isSpace(b)) {
              if (recordOffset >= 0) compact = false;
              break;
            }
            if (state === END) {
              fail("Unexpected data after the JSON value", base + i);
            }
            if (state === KEY) {
              if (b === QUOTE) {
                state = STRING;
                isKey = true;
                keyHash = 0;
                keyDigits = true;
              } else if (b === CLOSE_OBJECT && justOpened) {
                stack.pop();
                keys.pop();
                valueEnded(i + 1);
              } else fail("Expected a string key", base + i);
              break;
            }
            if (state === COLON) {
              if (b !== 0x3a) fail("Expected ':'", base + i);
              state = VALUE;
              justOpened = false;
              break;
            }
            if (state === AFTER) {
              const top = stack[stack.length - 1];
              if (b === 0x2c) {
                state = top === OPEN_ARRAY ? VALUE : KEY;
                justOpened = false;
              } else if (
                (b === CLOSE_ARRAY && top === OPEN_ARRAY) ||
                (b === CLOSE_OBJECT && top === OPEN_OBJECT)
              ) {
                stack.pop();
                if (b === CLOSE_OBJECT) keys.pop();
                valueEnded(i + 1);
              } else {
                fail(
                  top === OPEN_ARRAY
                    ? "Expected ',' or ']'"
                    : "Expected ',' or '}'",
                  base + i,
                );
              }
              break;
            }
            if (state === TOP) {
              if (b === OPEN_ARRAY) recordDepth = 1;
              else if (b === OPEN_OBJECT) recordDepth = 0;
              else if (
                b in LITERALS || b === QUOTE || b === 0x2d || isDigit(b)
              ) {
                fail(
                  `A JSON body must be an array or an object, not ${
                    shapeOf(b)
                  }`,
                  base + i,
                );
              } else fail("Expected a JSON array or object", base + i);
            } else if (
              b === CLOSE_ARRAY && justOpened &&
              stack[stack.length - 1] === OPEN_ARRAY
            ) {
              stack.pop();
              valueEnded(i + 1);
              break;
            }
            // A value starts here.
            if (stack.length === recordDepth) {
              recordOffset = base + i;
              recordStart = i;
              compact = true;
              stringBytes = 0;
            }
            if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
              if (stack.length === maxDepth) {
                fail(`Nesting deeper than ${maxDepth}`, base + i);
              }
              stack.push(b);
              if (b === OPEN_OBJECT) keys.push(undefined);
              state = b === OPEN_ARRAY ? VALUE : KEY;
              justOpened = true;
            } else if (b === QUOTE) {
              state = STRING;
              isKey = false;
            } else if (b === 0x2d || isDigit(b)) {
              state = NUMBER;
              numberText = String.fromCharCode(b);
              numberState = numberStart(b);
            } else if (b in LITERALS) {
              state = LITERAL;
              literal = LITERALS[b];
              literalAt = 1;
            } else fail("Expected a value", base + i);
        }
        i++;
      }
      if (recordOffset >= 0) pieces.push(chunk.subarray(recordStart));
      base += n;
    },
    flush(): void {
      if (state === END) return;
      if (state === TOP) {
        fail("Expected a JSON array or object, the body is empty", base);
      }
      fail("The JSON text ends inside a value", base);
    },
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
