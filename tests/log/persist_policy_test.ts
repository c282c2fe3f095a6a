import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_PERSIST_POLICY,
  validatePersistAction,
  validatePersistPolicy,
} from "../../src/log/persist_policy.ts";
import { MemoryFileAdapter, MultiRecordLog } from "../../mod.ts";
import {
  type ArgumentErrorClass,
  throwsNaming,
} from "../support/assertions.ts";

/** Asserts `validatePersistPolicy(value)` throws `type` naming `name`. */
function rejectsNaming(
  value: unknown,
  type: ArgumentErrorClass,
  name: string,
): void {
  throwsNaming(
    () => validatePersistPolicy(value),
    type,
    name,
    `for ${JSON.stringify(value)}`,
  );
}

describe("persist policy validation", () => {
  it("defaults to always/flush", () => {
    assert.deepEqual(DEFAULT_PERSIST_POLICY, {
      kind: "always",
      action: "flush",
    });
  });

  it("accepts every valid policy and returns a clean copy", () => {
    const valid = [
      { kind: "always", action: "flush" },
      { kind: "always", action: "fsync" },
      { kind: "onDelay", intervalMs: 1, action: "flush" },
      { kind: "onDelay", intervalMs: 0.5, action: "fsync" },
      { kind: "doNothing" },
    ] as const;
    for (const policy of valid) {
      const copy = validatePersistPolicy({ ...policy, extra: 1 });
      assert.deepEqual(copy, policy);
      assert.notEqual(copy, policy);
    }
  });

  it("rejects non-objects with TypeError", () => {
    for (const value of [null, undefined, "always", 3]) {
      rejectsNaming(value, TypeError, "persistPolicy");
    }
  });

  it("rejects a missing or wrong action with TypeError naming persistPolicy.action", () => {
    for (const action of [undefined, "Flush", "sync", 1, null]) {
      rejectsNaming(
        { kind: "always", action },
        TypeError,
        "persistPolicy.action",
      );
      rejectsNaming(
        { kind: "onDelay", intervalMs: 10, action },
        TypeError,
        "persistPolicy.action",
      );
    }
  });

  it("rejects a bad intervalMs of onDelay, naming it", () => {
    rejectsNaming(
      { kind: "onDelay", action: "flush" },
      TypeError,
      "intervalMs",
    );
    rejectsNaming(
      { kind: "onDelay", action: "flush", intervalMs: "10" },
      TypeError,
      "intervalMs",
    );
    for (const intervalMs of [0, -1, NaN, Infinity, -Infinity]) {
      rejectsNaming(
        { kind: "onDelay", action: "flush", intervalMs },
        RangeError,
        "intervalMs",
      );
    }
  });

  it("rejects an unknown kind with TypeError naming persistPolicy.kind", () => {
    rejectsNaming(
      { kind: "sometimes", action: "flush" },
      TypeError,
      "persistPolicy.kind",
    );
    rejectsNaming({ action: "fsync" }, TypeError, "persistPolicy.kind");
  });

  it("names persistPolicy.kind, not the action, for an unknown kind without an action", () => {
    // { kind: "Always" } is a typo of the kind: the message should say so.
    rejectsNaming({ kind: "Always" }, TypeError, "persistPolicy.kind");
  });

  it("checks persist actions", () => {
    validatePersistAction("flush", "action");
    validatePersistAction("fsync", "action");
    for (const action of ["FSYNC", "", undefined, 0]) {
      assert.throws(
        () => validatePersistAction(action, "the-action"),
        /the-action/,
      );
    }
  });

  it("is applied by open() and persist()", async () => {
    const fileAdapter = new MemoryFileAdapter();
    await assert.rejects(
      () =>
        MultiRecordLog.open("/wal", {
          fileAdapter,
          persistPolicy: { kind: "onDelay", action: "fsync", intervalMs: 0 },
        }),
      RangeError,
    );
    const log = await MultiRecordLog.open("/wal", { fileAdapter });
    await assert.rejects(
      () => log.persist("sync" as "fsync"),
      (e) => e instanceof TypeError && /action/.test(e.message),
    );
    await log.persist("flush");
    await log.persist("fsync");
    await log.close();
  });
});
