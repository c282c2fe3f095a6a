import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parsePositionText } from "../../src/wire/position_text.ts";

describe("parsePositionText", () => {
  test("reads decimal digits below 2^53", () => {
    assert.equal(parsePositionText("0", "from"), 0);
    assert.equal(parsePositionText("007", "from"), 7);
    assert.equal(
      parsePositionText(String(Number.MAX_SAFE_INTEGER), "from"),
      Number.MAX_SAFE_INTEGER,
    );
  });

  test("refuses anything else with a RangeError naming the value", () => {
    for (
      const bad of [
        "",
        "-1",
        "+1",
        "1.0",
        "1e3",
        " 1",
        "0x10",
        "x",
        String(2 ** 53),
        "12345678901234567",
      ]
    ) {
      assert.throws(
        () => parsePositionText(bad, "--from"),
        (error: unknown) =>
          error instanceof RangeError &&
          error.message ===
            `--from must be a non-negative integer below 2^53, got ${
              JSON.stringify(bad)
            }`,
        bad,
      );
    }
  });
});
