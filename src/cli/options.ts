/**
 * Parsers of command-line values: positions, byte sizes, persist policies,
 * and the options of a command by type. Each raises {@linkcode UsageError}
 * on bad input.
 *
 * @module
 */

import type { Flags } from "./command.ts";
import type { PersistPolicy } from "../log/persist_policy.ts";
import { parsePositionText } from "../wire/position_text.ts";

/** A mistake in how the tool was called: exit code 2. */
export class UsageError extends Error {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A position: a non-negative integer below 2^53, written as the HTTP
 * server's query parameters take it ({@linkcode parsePositionText}).
 */
export function parsePosition(value: string, name: string): number {
  try {
    return parsePositionText(value, name);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** An optional position. */
export function parseOptionalPosition(
  value: string | undefined,
  name: string,
): number | undefined {
  return value === undefined ? undefined : parsePosition(value, name);
}

const UNITS: Record<string, number> = {
  "": 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
};

/**
 * A positive byte size: digits with an optional binary unit, `K`, `M`, `G`
 * or `T` (each may be followed by `iB` or `B`): `65536`, `64KiB`, `1g`.
 */
export function parseByteSize(value: string, name: string): number {
  const match = /^([0-9]+)\s*([kmgt]?)(i?b)?$/i.exec(value.trim());
  const bytes = match ? Number(match[1]) * UNITS[match[2].toLowerCase()] : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new UsageError(
      `${name} must be a positive byte size such as 1048576 or 64MiB, got ${
        JSON.stringify(value)
      }`,
    );
  }
  return bytes;
}

/**
 * A persist policy: `always-fsync`, `always-flush`, `on-delay-fsync[:MS]`,
 * `on-delay-flush[:MS]` (default 1000 ms) or `do-nothing`.
 */
export function parsePolicy(value: string): PersistPolicy {
  const match = /^(always|on-delay)-(fsync|flush)(?::([0-9]+))?$/.exec(value);
  if (value === "do-nothing") return { kind: "doNothing" };
  if (match && (match[1] === "on-delay" || match[3] === undefined)) {
    const action = match[2] as "fsync" | "flush";
    if (match[1] === "always") return { kind: "always", action };
    const intervalMs = Number(match[3] ?? 1000);
    if (intervalMs > 0) return { kind: "onDelay", action, intervalMs };
  }
  throw new UsageError(
    `--policy must be always-fsync, always-flush, on-delay-fsync[:MS], on-delay-flush[:MS] or do-nothing, got ${
      JSON.stringify(value)
    }`,
  );
}

/** The value of the string option `--name`, if given. */
export function stringFlag(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === "string" ? value : undefined;
}

/** The byte size given as option `--name` ({@linkcode parseByteSize}), if given. */
export function byteSizeFlag(flags: Flags, name: string): number | undefined {
  const value = stringFlag(flags, name);
  return value === undefined ? undefined : parseByteSize(value, `--${name}`);
}
