/** The longest queue name, in UTF-8 bytes (its length is a u16 in the log). */
export const MAX_QUEUE_NAME_BYTES = 65_535;

const encoder = new TextEncoder();

/**
 * Checks a queue name and returns its UTF-8 bytes. A name is a non-empty,
 * well-formed string (no lone surrogates) of at most 65,535 UTF-8 bytes.
 */
export function queueNameBytes(queue: unknown): Uint8Array {
  if (typeof queue !== "string") {
    throw new TypeError(`queue must be a string, got ${typeof queue}`);
  }
  if (queue.length === 0) throw new RangeError("queue must not be empty");
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
