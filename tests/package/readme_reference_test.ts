// The README's Reference tables cannot fall behind the code: every option of
// MultiRecordLog.open (read from the OpenOptions interface) and every error
// class mod.ts exports has its row, and every row names something that exists.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as library from "../../mod.ts";
import { REPO } from "./process_helpers.ts";

/** The text of the README's section `heading` (up to the next one of its level). */
function section(readme: string, heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  assert.notEqual(start, -1, `the README has no "${heading}"`);
  const level = heading.slice(0, heading.indexOf(" ") + 1);
  const rest = readme.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`^#{2,${level.length - 1}} `, "m"));
  return end === -1 ? rest : rest.slice(0, end);
}

/** The first column of a Markdown table's rows: the names in backquotes. */
function tableNames(text: string): string[] {
  return text.split("\n")
    .filter((line) => line.startsWith("| `"))
    .flatMap((line) =>
      [...line.split("|")[1].matchAll(/`([^`]+)`/g)].map((m) => m[1])
    );
}

/** The property names of `interface name` in a TypeScript source. */
function interfaceKeys(source: string, name: string): string[] {
  const start = source.indexOf(`export interface ${name} {`);
  assert.notEqual(start, -1, `no interface ${name}`);
  const body = source.slice(start, source.indexOf("\n}\n", start));
  return [...body.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]);
}

const readme = readFileSync(`${REPO}README.md`, "utf8");
const reference = section(readme, "## Reference");

describe("README reference", () => {
  test("has a row for every MultiRecordLog.open option, and no other", () => {
    const source = readFileSync(`${REPO}src/log/log_types.ts`, "utf8");
    const options = interfaceKeys(source, "OpenOptions");
    assert.ok(options.includes("persistPolicy") && options.length > 5);
    const table = tableNames(
      section(reference, "### `MultiRecordLog.open(dir, options)`"),
    );
    assert.deepEqual([...table].sort(), [...options].sort());
  });

  test("has a row for every error class the library exports, and no other", () => {
    const errors = Object.entries(library)
      .filter(([, value]) =>
        typeof value === "function" && value.prototype instanceof Error
      )
      .map(([name]) => name);
    assert.ok(errors.includes("LogFailedError"));
    const table = tableNames(section(reference, "### Errors"))
      .filter((name) => name !== "TypeError" && name !== "RangeError");
    assert.deepEqual([...table].sort(), [...errors].sort());
  });
});
