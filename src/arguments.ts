/** The longest queue name, in UTF-8 bytes (its length is a u16 in the log). */
export const MAX_QUEUE_NAME_BYTES = 65_535;

/** The longest consumer name, in UTF-8 bytes. */
export const MAX_CONSUMER_NAME_BYTES = 1024;

const encoder = new TextEncoder();

/**
 * Checks a queue name and returns its UTF-8 bytes. A name is a non-empty,
 * well-formed string (no lone surrogates) of at most 65,535 UTF-8 bytes that
 * does not start with U+0000 (reserved for the log's own queues).
 */
export function queueNameBytes(queue: unknown): Uint8Array {
  if (typeof queue !== "string") {
    throw new TypeError(`queue must be a string, got ${typeof queue}`);
  }
  if (queue.length === 0) throw new RangeError("queue must not be empty");
  if (isReservedQueueName(queue)) {
    throw new RangeError(
      "queue names starting with U+0000 are reserved for the log's own state",
    );
  }
  if (!queue.isWellFormed()) {
    throw new TypeError(
      "queue must be well-formed Unicode (it holds a lone surrogate)",
    );
  }
  const bytes = encoder.encode(queue);
  if (bytes.length > MAX_QUEUE_NAME_BYTES) {
    throw new RangeError(
      `queue name is ${bytes.length} UTF-8 bytes, more than ${MAX_QUEUE_NAME_BYTES}`,
    );
  }
  return bytes;
}

/**
 * Checks a consumer name: a non-empty, well-formed string of at most 1,024
 * UTF-8 bytes.
 */
export function checkConsumerName(value: unknown): string {
  if (typeof value !== "string") {
    throw new TypeError(`consumer must be a string, got ${typeof value}`);
  }
  if (value.length === 0) throw new RangeError("consumer must not be empty");
  if (!value.isWellFormed()) {
    throw new TypeError(
      "consumer must be well-formed Unicode (it holds a lone surrogate)",
    );
  }
  const bytes = encoder.encode(value).length;
  if (bytes > MAX_CONSUMER_NAME_BYTES) {
    throw new RangeError(
      `consumer name is ${bytes} UTF-8 bytes, more than ${MAX_CONSUMER_NAME_BYTES}`,
    );
  }
  return value;
}

/** Checks that `value` is a position: a non-negative safe integer. */
export function checkPosition(value: unknown, name: string): number {
  if (typeof value !== "number") {
    throw new TypeError(`${name} must be a number, got ${typeof value}`);
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `${name} must be a non-negative safe integer, got ${value}`,
    );
  }
  return value;
}

/** Checks an optional position (`undefined` allowed). */
export function checkOptionalPosition(
  value: unknown,
  name: string,
): number | undefined {
  return value === undefined ? undefined : checkPosition(value, name);
}

/** Checks that `value` is a `Uint8Array` payload (u32 length). */
export function checkPayload(value: unknown, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${name} must be a Uint8Array`);
  }
  if (value.length > 0xffff_ffff) {
    throw new RangeError(`${name} is longer than 2^32 - 1 bytes`);
  }
  return value;
}

/**
 * Checks that `values` is an array of payloads (see `checkPayload`, whose
 * errors name `name[i]`) and returns their total length.
 */
export function checkPayloads(values: unknown, name: string): number {
  if (!Array.isArray(values)) throw new TypeError(`${name} must be an array`);
  let bytes = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (!(value instanceof Uint8Array) || value.length > 0xffff_ffff) {
      checkPayload(value, `${name}[${i}]`);
    }
    bytes += value.length;
  }
  return bytes;
}

/**
 * True if user queues may not be named `name`: names starting with U+0000
 * are the log's own queues (`src/log/state_queue_names.ts`).
 */
export function isReservedQueueName(name: string): boolean {
  return name.charCodeAt(0) === 0;
}
