/**
 * Shared helpers of the test suite: building log bytes by hand, reading them
 * back, seeded pseudo-random bytes, temp directories, the Rust fixtures,
 * stream collectors, argument-error assertions, waiting helpers, a file
 * adapter whose fsyncs can be held, and a plain dump of a log's state.
 *
 * @module
 */

import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { BLOCK_SIZE, HEADER_SIZE } from "../../src/format/frame.ts";
import { FrameWriter } from "../../src/format/frame_writer.ts";
import { type LogEnd, readFrames } from "../../src/storage/frame_reader.ts";
import type {
  AdapterFile,
  FileAdapter,
} from "../../src/storage/file_adapter.ts";
import { MemoryFileAdapter } from "../../src/testing/memory_file_adapter.ts";
import {
  RecordKind,
  writeAppendRecord,
  writeControlRecord,
} from "../../src/format/record.ts";
import { segmentName } from "../../src/storage/segment_file.ts";
import type { MultiRecordLog } from "../../src/log/multi_record_log.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** `bytes` decoded as UTF-8. */
export function text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** `bytes` as lowercase hex, for compact comparisons of binary payloads. */
export function hex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

import { mulberry32 } from "../../src/testing/mulberry32.ts";
export { mulberry32 };

/** Deterministic pseudo-random bytes: the low byte of each {@linkcode mulberry32} draw. */
export function randomBytes(length: number, seed: number): Uint8Array {
  const random = mulberry32(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (random() * 4294967296) & 0xff;
  return out;
}

/**
 * Fills `bytes` with the low bytes of a xorshift32 sequence started at
 * `state` (a state of 0 gives zeros); returns `bytes`. Cheaper per byte than
 * {@linkcode randomBytes}, for payloads that are only told apart.
 */
export function xorshiftFill(bytes: Uint8Array, state: number): Uint8Array {
  let x = state;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** `records` framed by hand with u32 little-endian length prefixes. */
export function lengthPrefixed(records: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(records.reduce((n, r) => n + 4 + r.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const record of records) {
    view.setUint32(at, record.length, true);
    out.set(record, at + 4);
    at += 4 + record.length;
  }
  return out;
}

/** A fresh temp directory; remove it with {@linkcode removeDir}. */
export function tempDir(prefix = "mrecordlog-test-"): string {
  return mkdtempSync(`${tmpdir()}/${prefix}`);
}

/** Removes a directory and everything in it. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs `fn` with a fresh temp directory (named from `prefix`), removed afterwards. */
export async function withTempDir<T>(
  fn: (dir: string) => Promise<T> | T,
  prefix?: string,
): Promise<T> {
  const dir = tempDir(prefix);
  try {
    return await fn(dir);
  } finally {
    removeDir(dir);
  }
}

/**
 * The folder of the Rust-written fixtures (read-only: copy a fixture's `wal`
 * folder before opening it), ending with `/`.
 */
export const RUST_FIXTURES: string =
  new URL("../fixtures/rust-wal/", import.meta.url).pathname;

/** The names of the Rust fixtures, as `index.json` lists them. */
export function rustFixtureNames(): string[] {
  return JSON.parse(readFileSync(`${RUST_FIXTURES}index.json`, "utf8"))
    .fixtures;
}

/** A JSON file of a Rust fixture (`manifest.json`, `dump.json`), parsed. */
// deno-lint-ignore no-explicit-any
export function rustFixtureJson(name: string, file: string): any {
  return JSON.parse(readFileSync(`${RUST_FIXTURES}${name}/${file}`, "utf8"));
}

/** Writes `chunks` through `stream` and collects its output chunks. */
export async function pipeChunks<I, O>(
  stream: TransformStream<I, O>,
  chunks: I[],
): Promise<O[]> {
  const source = new ReadableStream<I>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const out: O[] = [];
  for await (const chunk of source.pipeThrough(stream)) out.push(chunk);
  return out;
}

/** The error classes {@linkcode throwsNaming} and {@linkcode rejectsNaming} take. */
export type ArgumentErrorClass = typeof TypeError | typeof RangeError;

function namesIt(
  type: ArgumentErrorClass,
  name: string,
  context: string | undefined,
): (error: unknown) => true {
  return (error) => {
    assert.ok(
      error instanceof type,
      `${error} is not a ${type.name}${context ? ` (${context})` : ""}`,
    );
    assert.ok(
      (error as Error).message.includes(name),
      `"${(error as Error).message}" does not name ${name}`,
    );
    return true;
  };
}

/** Asserts `fn` throws `type` with a message naming `name`; `context` labels a failure. */
export function throwsNaming(
  fn: () => unknown,
  type: ArgumentErrorClass,
  name: string,
  context?: string,
): void {
  assert.throws(fn, namesIt(type, name, context));
}

/** Asserts the promise `fn` returns rejects with `type` and a message naming `name`. */
export async function rejectsNaming(
  fn: () => Promise<unknown>,
  type: ArgumentErrorClass,
  name: string,
): Promise<void> {
  await assert.rejects(fn, namesIt(type, name, undefined));
}

/** Options of {@linkcode frameBytes}. */
export interface FrameOptions {
  /** The checksum to write instead of the right one. */
  checksum?: number;
  /** The length to write instead of the payload's. */
  length?: number;
}

/** One raw frame: `crc32 | length u16 | type | payload`. */
export function frameBytes(
  type: number,
  payload: Uint8Array,
  options: FrameOptions = {},
): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + payload.length);
  const view = new DataView(out.buffer);
  out[6] = type;
  out.set(payload, HEADER_SIZE);
  view.setUint16(4, options.length ?? payload.length, true);
  view.setUint32(0, options.checksum ?? crc32(out.subarray(6)), true);
  return out;
}

/** `parts` back to back, zero-padded to one whole block. */
export function block(...parts: Uint8Array[]): Uint8Array {
  const bytes = concat(...parts);
  if (bytes.length > BLOCK_SIZE) throw new Error("block overflows");
  const out = new Uint8Array(BLOCK_SIZE);
  out.set(bytes);
  return out;
}

/** An item of an AppendRecords body for {@linkcode recordBytes}. */
export interface RawItem {
  /** The item's position (a bigint for values above 2^53 - 1). */
  position: number | bigint;
  /** The item's payload. */
  payload: Uint8Array;
}

/**
 * A record's raw bytes: `kind | position u64 | name length u16 | name | body`.
 * Positions may be bigints, to write values JavaScript numbers cannot hold.
 */
export function recordBytes(
  kind: number,
  position: number | bigint,
  queue: string | Uint8Array,
  items: RawItem[] = [],
): Uint8Array {
  const name = typeof queue === "string" ? utf8(queue) : queue;
  let length = 11 + name.length;
  for (const item of items) length += 12 + item.payload.length;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out[0] = kind;
  view.setBigUint64(1, BigInt(position), true);
  view.setUint16(9, name.length, true);
  out.set(name, 11);
  let at = 11 + name.length;
  for (const item of items) {
    view.setBigUint64(at, BigInt(item.position), true);
    view.setUint32(at + 8, item.payload.length, true);
    out.set(item.payload, at + 12);
    at += 12 + item.payload.length;
  }
  return out;
}

/** Payloads given as strings are UTF-8 encoded. */
export type PayloadLike = Uint8Array | string;

function toBytes(payload: PayloadLike): Uint8Array {
  return typeof payload === "string" ? utf8(payload) : payload;
}

/**
 * Builds log bytes record by record with the library's own frame and record
 * writers, as the log writer lays them out from offset 0 of file 0.
 */
export class LogBuilder {
  #frames = new FrameWriter(0);
  #parts: Uint8Array[] = [];

  /** A Touch record: the queue's next position is `position`. */
  touch(queue: string, position: number): this {
    return this.#add((f) =>
      writeControlRecord(f, RecordKind.Touch, utf8(queue), position)
    );
  }

  /** A Truncate record up to and including `position`. */
  truncate(queue: string, position: number): this {
    return this.#add((f) =>
      writeControlRecord(f, RecordKind.Truncate, utf8(queue), position)
    );
  }

  /** A DeleteQueue record. */
  deleteQueue(queue: string, position = 0): this {
    return this.#add((f) =>
      writeControlRecord(f, RecordKind.DeleteQueue, utf8(queue), position)
    );
  }

  /** An AppendRecords record of `payloads` at consecutive positions from `position`. */
  append(queue: string, position: number, payloads: PayloadLike[]): this {
    return this.#add((f) =>
      writeAppendRecord(f, utf8(queue), position, payloads.map(toBytes))
    );
  }

  /** Any record, given as raw bytes (see {@linkcode recordBytes}). */
  record(bytes: Uint8Array): this {
    return this.#add((f) => {
      const padding = f.beginRecord(bytes.length);
      f.bytes(bytes);
      return padding + f.endRecord();
    });
  }

  /** The log bytes so far, zero-padded to whole blocks. */
  bytes(): Uint8Array {
    const data = concat(...this.#parts);
    const length = Math.max(
      BLOCK_SIZE,
      Math.ceil(data.length / BLOCK_SIZE) * BLOCK_SIZE,
    );
    const out = new Uint8Array(length);
    out.set(data);
    return out;
  }

  /**
   * The log bytes cut into files of `segmentBytes`; the last one holds the
   * rest, zero-padded to whole blocks.
   */
  files(segmentBytes: number): Uint8Array[] {
    const all = this.bytes();
    const out: Uint8Array[] = [];
    for (let at = 0; at < all.length; at += segmentBytes) {
      out.push(all.slice(at, at + segmentBytes));
    }
    return out;
  }

  #add(encode: (frames: FrameWriter) => number): this {
    encode(this.#frames);
    this.#parts.push(this.#frames.take().slice());
    return this;
  }
}

/** Writes log files `wal-<first>`, `wal-<first + 1>`, ... into `dir` of a memory file system. */
export function writeLogFiles(
  fs: MemoryFileAdapter,
  dir: string,
  files: Uint8Array[],
  first = 0,
): void {
  fs.mkdir(dir);
  files.forEach((bytes, i) => {
    fs.writeFileBytes(`${dir}/${segmentName(first + i)}`, bytes);
  });
}

/** A record found by {@linkcode readLog}. */
export interface ReadRecord {
  /** The record's bytes (a copy). */
  bytes: Uint8Array;
  /** The file number its first frame is in. */
  fileNumber: number;
  /** The offset of its first frame. */
  offset: number;
}

/** A corruption found by {@linkcode readLog}. */
export interface ReadCorruption {
  /** The file number. */
  fileNumber: number;
  /** The offset. */
  offset: number;
  /** Why. */
  reason: string;
}

/** What {@linkcode readLog} found. */
export interface ReadResult {
  /** Records, in order. */
  records: ReadRecord[];
  /** Corruption skipped, in order. */
  corruptions: ReadCorruption[];
  /** Where the data ended. */
  end: LogEnd | undefined;
}

/** Reads `files` (numbered from `first`) with `readFrames`. */
export function readLog(files: Uint8Array[], first = 0): ReadResult {
  const fs = new MemoryFileAdapter();
  writeLogFiles(fs, "/log", files, first);
  const open = files.map((_, i) => ({
    number: first + i,
    file: fs.open(`/log/${segmentName(first + i)}`, { create: false }),
  }));
  const records: ReadRecord[] = [];
  const corruptions: ReadCorruption[] = [];
  const end = readFrames(open, {
    record(bytes, fileNumber, offset) {
      records.push({ bytes: bytes.slice(), fileNumber, offset });
    },
    corruption(fileNumber, offset, reason) {
      corruptions.push({ fileNumber, offset, reason });
    },
  });
  for (const { file } of open) file.close();
  return { records, corruptions, end };
}

/** A frame header found by {@linkcode parseFrames}. */
export interface FrameInfo {
  /** Offset of the header. */
  offset: number;
  /** Frame type. */
  type: number;
  /** Payload length. */
  length: number;
  /** Whether the checksum matches. */
  checksumOk: boolean;
}

/**
 * The frame headers of well-formed log bytes starting at a block boundary,
 * skipping padding, up to a zero header or the end.
 */
export function parseFrames(bytes: Uint8Array): FrameInfo[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: FrameInfo[] = [];
  let at = 0;
  while (at + HEADER_SIZE <= bytes.length) {
    const room = BLOCK_SIZE - (at % BLOCK_SIZE);
    if (room < HEADER_SIZE) {
      at += room;
      continue;
    }
    const checksum = view.getUint32(at, true);
    const length = view.getUint16(at + 4, true);
    const type = bytes[at + 6];
    if (checksum === 0 && length === 0 && type === 0) break;
    const end = at + HEADER_SIZE + length;
    out.push({
      offset: at,
      type,
      length,
      checksumOk: crc32(bytes.subarray(at + 6, end)) === checksum,
    });
    at = end;
  }
  return out;
}

/** The plain state of one queue, for deep comparisons. */
export interface QueueState {
  /** `lastPosition(queue)`. */
  last: number | undefined;
  /** `[position, payload as hex]` of every record, in order. */
  records: [number, string][];
}

/** The state of every queue of an open log, by name. */
export function stateOf(log: MultiRecordLog): Record<string, QueueState> {
  const out: Record<string, QueueState> = {};
  for (const queue of log.listQueues()) {
    out[queue] = {
      last: log.lastPosition(queue),
      records: [...log.range(queue)].map((r) => [r.position, hex(r.payload)]),
    };
  }
  return out;
}

/** The numbers of the `wal-` files of `dir`, sorted. */
export function walNumbers(fs: FileAdapter, dir: string): number[] {
  return fs.listFiles(dir)
    .filter((name) => /^wal-[0-9]{20}$/.test(name))
    .map((name) => Number(name.slice(4)))
    .sort((a, b) => a - b);
}

/**
 * Waits until `condition()` holds, checking every few milliseconds; returns
 * false if it still does not after `timeoutMs`. Not a timing assertion: tests
 * use it to wait for timers of the code under test.
 */
export async function waitFor(
  condition: () => boolean,
  timeoutMs = 5000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return true;
}

/**
 * Resolves after `ms` milliseconds; by default once the pending microtasks
 * and one macrotask ran.
 */
export function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether `promise` is still pending after {@linkcode tick}`(ms)`. */
export async function isPending(
  promise: Promise<unknown>,
  ms = 0,
): Promise<boolean> {
  const marker = Symbol("pending");
  const result = await Promise.race([
    promise.then(() => undefined, () => undefined),
    tick(ms).then(() => marker),
  ]);
  return result === marker;
}

/**
 * Counts the change listeners `log` holds, by wrapping its `onChange`;
 * returns the counter.
 */
export function countListeners(log: MultiRecordLog): () => number {
  let live = 0;
  const onChange = log.onChange.bind(log);
  log.onChange = (listener) => {
    live++;
    const unsubscribe = onChange(listener);
    let done = false;
    return () => {
      if (!done) live--;
      done = true;
      unsubscribe();
    };
  };
  return () => live;
}

/**
 * A file adapter wrapping another one, whose `syncData` calls can be held
 * until released, to see what arrives while an fsync runs.
 */
export class GatedFileAdapter implements FileAdapter {
  /** The wrapped adapter. */
  readonly inner: FileAdapter;
  /** `syncData` calls made so far (held or not). */
  syncDataCalls = 0;
  /** `syncData` calls waiting for {@linkcode GatedFileAdapter.release}. */
  waiting = 0;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;

  /** Wraps `inner`. */
  constructor(inner: FileAdapter) {
    this.inner = inner;
  }

  /** Makes later `syncData` calls wait until {@linkcode GatedFileAdapter.release}. */
  hold(): void {
    this.#gate ??= new Promise((resolve) => this.#open = resolve);
  }

  /** Lets held `syncData` calls go on (and later ones run at once). */
  release(): void {
    this.#open?.();
    this.#gate = undefined;
    this.#open = undefined;
  }

  /** Delegates. */
  mkdir(path: string): void {
    this.inner.mkdir(path);
  }

  /** Delegates. */
  listFiles(dir: string): string[] {
    return this.inner.listFiles(dir);
  }

  /** Delegates, wrapping the file. */
  open(path: string, options: { create: boolean }): AdapterFile {
    const file = this.inner.open(path, options);
    return {
      read: (buffer, offset) => file.read(buffer, offset),
      write: (bytes, offset) => file.write(bytes, offset),
      truncate: (length) => file.truncate(length),
      size: () => file.size(),
      syncDataSync: () => file.syncDataSync(),
      close: () => file.close(),
      syncData: async (): Promise<void> => {
        this.syncDataCalls++;
        const gate = this.#gate;
        if (gate) {
          this.waiting++;
          await gate;
          this.waiting--;
        }
        await file.syncData();
      },
    };
  }

  /** Delegates. */
  rename(from: string, to: string): void {
    this.inner.rename(from, to);
  }

  /** Delegates. */
  link(existing: string, path: string): void {
    this.inner.link(existing, path);
  }

  /** Delegates. */
  remove(path: string): void {
    this.inner.remove(path);
  }

  /** Delegates. */
  syncDir(dir: string): void {
    this.inner.syncDir(dir);
  }
}
