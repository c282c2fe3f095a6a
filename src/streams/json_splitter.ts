/**
 * The byte-level state machine behind `JsonSplitStream`: it checks a JSON
 * array or object as it arrives and emits each element's compact text.
 *
 * @module
 */

import { RecordTooLargeError } from "../errors.ts";
import type { ByteTransformer } from "./byte_transformer.ts";
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
import { MalformedJsonError } from "./malformed_json_error.ts";

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
const EMPTY = new Uint8Array(0);

/**
 * The transformer of `JsonSplitStream`: where the scanner is in the JSON
 * text, the record being read, and whether its text is already compact. A
 * class rather than a closure so that the steps sharing this state are
 * methods of their own. Internal: not exported by `mod.ts`.
 */
export class JsonSplitter implements ByteTransformer {
  readonly #maxRecordBytes: number;
  readonly #maxDepth: number;
  readonly #decoder = new TextDecoder("utf-8", { fatal: true });
  readonly #encoder = new TextEncoder();
  readonly #stack: number[] = []; // the open containers' opening bytes
  #state = TOP;
  #recordDepth = 0; // 1 for a top-level array, 0 for an object
  #justOpened = false; // right after `[` or `{`: its end may come
  #isKey = false; // the string read is an object key
  #numberState = numberStart(0x30);
  #literal: Uint8Array = LITERALS[0x74];
  #literalAt = 0;
  #hexLeft = 0;
  #base = 0; // input bytes before the current chunk
  // The record being read: its offset, and its bytes from earlier chunks.
  #recordOffset = -1;
  #pieces: Uint8Array[] = [];
  // Whether the record's text is already what JSON.stringify writes (no
  // whitespace, no \u or \/ escape, numbers as String(number) writes them,
  // no index-like or repeated key: see `#keyEnded`); the bytes of its
  // strings ORed (non-ASCII if >= 0x80); its number's text; its key's hash.
  #compact = true;
  #stringBytes = 0;
  #numberText = "";
  #keyHash = 0;
  #keyDigits = true;
  readonly #keys: (number[] | undefined)[] = []; // hashes per open object
  // The chunk being read, where the record being read starts in it (0 if
  // earlier), and where records go.
  #chunk: Uint8Array = EMPTY;
  #recordStart = 0;
  #controller?: TransformStreamDefaultController<Uint8Array>;

  /** A splitter of records up to `maxRecordBytes`, nested up to `maxDepth`. */
  constructor(maxRecordBytes: number, maxDepth: number) {
    this.#maxRecordBytes = maxRecordBytes;
    this.#maxDepth = maxDepth;
  }

  /**
   * Reads one chunk, enqueueing the records it completes.
   *
   * Kept whole: the per-byte loop stays in one method on purpose: with each state in a
   * method of its own (tried), Bun read a JSON array 10-15% slower than with
   * the loop whole (Node.js and Deno did not mind); only what runs once per
   * key, per record or more rarely is outside it (`#escape`, `#topLevel`,
   * `#keyEnded`, `#valueEnded`, `#emit`).
   */
  transform(
    chunk: Uint8Array,
    controller: TransformStreamDefaultController<Uint8Array>,
  ): void {
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError("JsonSplitStream accepts only Uint8Array chunks");
    }
    this.#chunk = chunk;
    this.#controller = controller;
    this.#recordStart = 0;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const b = chunk[i];
      switch (this.#state) {
        case STRING: {
          let j = i;
          let c = b;
          let seen = 0;
          if (this.#isKey) {
            let hash = this.#keyHash;
            let digits = this.#keyDigits;
            while (c !== QUOTE && c !== BACKSLASH && c >= 0x20) {
              hash = (Math.imul(hash, 31) + c) | 0;
              if (c < 0x30 || c > 0x39) digits = false;
              seen |= c;
              if (++j === n) break;
              c = chunk[j];
            }
            this.#keyHash = hash;
            this.#keyDigits = digits;
          } else {
            while (c !== QUOTE && c !== BACKSLASH && c >= 0x20) {
              seen |= c;
              if (++j === n) break;
              c = chunk[j];
            }
          }
          this.#stringBytes |= seen;
          if (j === n) {
            i = n;
            continue;
          }
          i = j;
          if (c === QUOTE) {
            if (this.#isKey) {
              this.#state = COLON;
              this.#keyEnded();
            } else this.#valueEnded(i + 1);
          } else if (c === BACKSLASH) this.#state = ESCAPE;
          else this.#fail("Control character in a string", i);
          break;
        }
        case ESCAPE:
          this.#escape(b, i);
          break;
        case HEX:
          if (!isHex(b)) this.#fail("Invalid \\u escape in a string", i);
          if (--this.#hexLeft === 0) this.#state = STRING;
          break;
        case NUMBER: {
          const next = numberStep(this.#numberState, b);
          if (next >= 0) {
            this.#numberState = next;
            this.#numberText += String.fromCharCode(b);
            break;
          }
          if (!numberCanEnd(this.#numberState)) {
            this.#fail("Invalid number", i);
          }
          const text = this.#numberText;
          if (this.#compact && String(Number(text)) !== text) {
            this.#compact = false;
          }
          this.#valueEnded(i);
          continue; // the byte after the number, read again
        }
        case LITERAL:
          if (b !== this.#literal[this.#literalAt]) {
            this.#fail("Invalid literal", i);
          }
          if (++this.#literalAt === this.#literal.length) {
            this.#valueEnded(i + 1);
          }
          break;
        default:
          if (isSpace(b)) {
            if (this.#recordOffset >= 0) this.#compact = false;
            break;
          }
          if (this.#state === END) {
            this.#fail("Unexpected data after the JSON value", i);
          }
          if (this.#state === KEY) {
            if (b === QUOTE) {
              this.#state = STRING;
              this.#isKey = true;
              this.#keyHash = 0;
              this.#keyDigits = true;
            } else if (b === CLOSE_OBJECT && this.#justOpened) {
              this.#stack.pop();
              this.#keys.pop();
              this.#valueEnded(i + 1);
            } else this.#fail("Expected a string key", i);
            break;
          }
          if (this.#state === COLON) {
            if (b !== 0x3a) this.#fail("Expected ':'", i);
            this.#state = VALUE;
            this.#justOpened = false;
            break;
          }
          if (this.#state === AFTER) {
            const top = this.#stack[this.#stack.length - 1];
            if (b === 0x2c) {
              this.#state = top === OPEN_ARRAY ? VALUE : KEY;
              this.#justOpened = false;
            } else if (
              (b === CLOSE_ARRAY && top === OPEN_ARRAY) ||
              (b === CLOSE_OBJECT && top === OPEN_OBJECT)
            ) {
              this.#stack.pop();
              if (b === CLOSE_OBJECT) this.#keys.pop();
              this.#valueEnded(i + 1);
            } else {
              this.#fail(
                top === OPEN_ARRAY
                  ? "Expected ',' or ']'"
                  : "Expected ',' or '}'",
                i,
              );
            }
            break;
          }
          if (this.#state === TOP) this.#topLevel(b, i);
          else if (
            b === CLOSE_ARRAY && this.#justOpened &&
            this.#stack[this.#stack.length - 1] === OPEN_ARRAY
          ) {
            this.#stack.pop();
            this.#valueEnded(i + 1);
            break;
          }
          // A value starts here.
          if (this.#stack.length === this.#recordDepth) {
            this.#recordOffset = this.#base + i;
            this.#recordStart = i;
            this.#compact = true;
            this.#stringBytes = 0;
          }
          if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
            if (this.#stack.length === this.#maxDepth) {
              this.#fail(`Nesting deeper than ${this.#maxDepth}`, i);
            }
            this.#stack.push(b);
            if (b === OPEN_OBJECT) this.#keys.push(undefined);
            this.#state = b === OPEN_ARRAY ? VALUE : KEY;
            this.#justOpened = true;
          } else if (b === QUOTE) {
            this.#state = STRING;
            this.#isKey = false;
          } else if (b === 0x2d || isDigit(b)) {
            this.#state = NUMBER;
            this.#numberText = String.fromCharCode(b);
            this.#numberState = numberStart(b);
          } else if (b in LITERALS) {
            this.#state = LITERAL;
            this.#literal = LITERALS[b];
            this.#literalAt = 1;
          } else this.#fail("Expected a value", i);
      }
      i++;
    }
    if (this.#recordOffset >= 0) {
      this.#pieces.push(chunk.subarray(this.#recordStart));
    }
    this.#base += n;
    this.#chunk = EMPTY;
  }

  /** At the end of the input: throws unless the top-level value ended. */
  flush(): void {
    if (this.#state === END) return;
    throw new MalformedJsonError(
      this.#state === TOP
        ? "Expected a JSON array or object, the body is empty"
        : "The JSON text ends inside a value",
      this.#base,
    );
  }

  /** Throws a {@linkcode MalformedJsonError} at byte `i` of the chunk. */
  #fail(reason: string, i: number): never {
    throw new MalformedJsonError(reason, this.#base + i);
  }

  /** The byte `b` after a backslash in a string. */
  #escape(b: number, i: number): void {
    if (b === 0x75) {
      this.#state = HEX;
      this.#hexLeft = 4;
      this.#compact = false;
    } else if (ESCAPES.has(b)) {
      this.#state = STRING;
      if (b === 0x2f) this.#compact = false;
      this.#keyHash = (Math.imul(this.#keyHash, 31) + b) | 0;
      this.#keyDigits = false;
    } else this.#fail("Invalid escape in a string", i);
  }

  /** The top-level value's first byte: `[` or `{`, else the shape error. */
  #topLevel(b: number, i: number): void {
    if (b === OPEN_ARRAY) this.#recordDepth = 1;
    else if (b === OPEN_OBJECT) this.#recordDepth = 0;
    else if (b in LITERALS || b === QUOTE || b === 0x2d || isDigit(b)) {
      this.#fail(
        `A JSON body must be an array or an object, not ${shapeOf(b)}`,
        i,
      );
    } else this.#fail("Expected a JSON array or object", i);
  }

  /**
   * A key read: JSON.parse moves index-like keys ("0", "12") first and keeps
   * one of repeated keys, so either makes the text not compact.
   */
  #keyEnded(): void {
    if (this.#keyDigits) this.#compact = false;
    const keys = this.#keys;
    const seen = keys[keys.length - 1];
    if (seen === undefined) keys[keys.length - 1] = [this.#keyHash];
    else if (seen.includes(this.#keyHash)) this.#compact = false;
    else seen.push(this.#keyHash);
  }

  /** Ends the value whose last byte is before `end` in the chunk. */
  #valueEnded(end: number): void {
    if (this.#stack.length === this.#recordDepth && this.#recordOffset >= 0) {
      const tail = this.#chunk.subarray(this.#recordStart, end);
      const pieces = this.#pieces;
      this.#emit(pieces.length === 0 ? tail : concat([...pieces, tail]));
      this.#pieces = [];
      this.#recordOffset = -1;
    }
    this.#state = this.#stack.length === 0 ? END : AFTER;
  }

  /** Enqueues a record's text: as it is if compact, else made compact. */
  #emit(bytes: Uint8Array): void {
    let record = bytes;
    if (!this.#compact || this.#stringBytes >= 0x80) {
      let text: string;
      try {
        text = this.#decoder.decode(bytes);
      } catch {
        throw new MalformedJsonError(
          "Invalid UTF-8",
          this.#recordOffset + invalidUtf8At(bytes),
        );
      }
      if (!this.#compact) {
        record = this.#encoder.encode(JSON.stringify(JSON.parse(text)));
      }
    }
    if (record.byteLength > this.#maxRecordBytes) {
      throw new RecordTooLargeError(this.#maxRecordBytes);
    }
    this.#controller!.enqueue(record);
  }
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
