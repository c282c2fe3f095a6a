/**
 * When appended bytes are handed to the operating system (`"flush"`) or made
 * durable on disk (`"fsync"`, an `fdatasync`).
 */
export type PersistAction = "flush" | "fsync";

/**
 * How the log persists appends.
 *
 * - `{ kind: "always", action }`: every append resolves only once its bytes
 *   are persisted by `action`. Appends made while an fsync runs share the next
 *   one (group commit).
 * - `{ kind: "onDelay", intervalMs, action }`: appends resolve once their
 *   bytes are written to the operating system; an fsync (for `"fsync"`) runs
 *   at most `intervalMs` after the first unsynced append.
 * - `{ kind: "doNothing" }`: appends resolve once written to the operating
 *   system; only `persist("fsync")` and `close()` fsync.
 *
 * Creating and deleting a queue always flush and fsync.
 *
 * @example
 * ```ts
 * import type { PersistPolicy } from "@x/mrecordlog";
 * const durable: PersistPolicy = { kind: "always", action: "fsync" };
 * ```
 */
export type PersistPolicy =
  | { kind: "always"; action: PersistAction }
  | { kind: "onDelay"; intervalMs: number; action: PersistAction }
  | { kind: "doNothing" };

/** The default policy: `{ kind: "always", action: "flush" }`. */
export const DEFAULT_PERSIST_POLICY: PersistPolicy = {
  kind: "always",
  action: "flush",
};

/** Checks a policy given by a caller; throws `TypeError` or `RangeError`. */
export function validatePersistPolicy(policy: unknown): PersistPolicy {
  if (typeof policy !== "object" || policy === null) {
    throw new TypeError("persistPolicy must be an object");
  }
  const { kind, action, intervalMs } = policy as Record<string, unknown>;
  if (kind === "doNothing") return { kind };
  if (kind !== "always" && kind !== "onDelay") {
    throw new TypeError(
      `persistPolicy.kind must be "always", "onDelay" or "doNothing", got ${
        String(kind)
      }`,
    );
  }
  validatePersistAction(action, "persistPolicy.action");
  if (kind === "always") return { kind, action };
  if (typeof intervalMs !== "number") {
    throw new TypeError("persistPolicy.intervalMs must be a number");
  }
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new RangeError(
      `persistPolicy.intervalMs must be a positive number, got ${intervalMs}`,
    );
  }
  return { kind, action, intervalMs };
}

/** Checks a persist action; throws `TypeError`. */
export function validatePersistAction(
  action: unknown,
  name: string,
): asserts action is PersistAction {
  if (action !== "flush" && action !== "fsync") {
    throw new TypeError(
      `${name} must be "flush" or "fsync", got ${String(action)}`,
    );
  }
}

/** Zeros kept written ahead of the data with `prewriteSegments`: 1 MiB. */
export const SEGMENT_PREWRITE_BYTES = 1024 * 1024;

/**
 * Zeros kept written ahead of the data under `policy` by default (see
 * `prewriteSegments` and `LogWriter`'s `prewriteBytes`):
 * {@linkcode SEGMENT_PREWRITE_BYTES} when the policy fsyncs appends
 * (`always` or `onDelay` with `"fsync"`), whose fdatasyncs then find their
 * blocks allocated; none otherwise, where sparse files cost less (small
 * `always/flush` writes were measured slower on written files).
 */
export function prewriteBytes(policy: PersistPolicy): number {
  return policy.kind !== "doNothing" && policy.action === "fsync"
    ? SEGMENT_PREWRITE_BYTES
    : 0;
}
