// The README's whole programs (Use; Scaling out, against a real nats-server)
// run as written under Deno, from the repository's source: `@x/mrecordlog`
// and its subpaths resolve to this package (deno.json's name and exports),
// as after `deno add jsr:@x/mrecordlog`, for a module inside the package's
// directory (here a temp dir of links to the repository's files). tests/package/npm_package_test.ts
// runs them under Node and Bun from the packed npm package.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  copyFileSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { natsServer } from "../jetstream/nats_server.ts";
import { missingDevTool, REPO, runOk } from "./process_helpers.ts";
import {
  assertScalingOutRan,
  EXAMPLES,
  readmeExample,
  runnableExample,
} from "./readme_examples.ts";

const ONLY_UNDER_NODE = "Deno" in globalThis || "Bun" in globalThis
  ? "runs once, in the suite's Node run (it starts Deno itself)"
  : undefined;
const OPTIONS = {
  timeout: 120_000,
  skip: ONLY_UNDER_NODE ?? missingDevTool("deno"),
};
const DENO = `${REPO}node_modules/.bin/deno`;

/** The package's files Deno needs to run the examples from source. */
const LINKED = [
  "mod.ts",
  "jetstream.ts",
  "src",
  "node_modules",
  "package.json",
];

/**
 * A temp dir standing for the package: deno.json copied (Deno resolves the
 * package's own name from the config of the module's directory), the
 * sources linked.
 */
function packageDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "mrecordlog-readme-examples-"));
  copyFileSync(`${REPO}deno.json`, join(dir, "deno.json"));
  for (const name of LINKED) symlinkSync(`${REPO}${name}`, join(dir, name));
  return dir;
}

/** Runs `code` as a module of `work` under Deno; its stdout. */
async function runUnderDeno(code: string, work: string): Promise<string> {
  writeFileSync(join(work, "example.ts"), code);
  return await runOk(DENO, ["run", "-A", "example.ts"], { cwd: work });
}

describe("README examples under Deno", () => {
  let work = "";
  test("setup", { skip: OPTIONS.skip }, () => {
    work = packageDir();
  });

  test("Use: runs as written", OPTIONS, async () => {
    const dir = join(work, "use-wal");
    const code = runnableExample(readmeExample(EXAMPLES.use), dir);
    const out = await runUnderDeno(code, work);
    assert.match(out, /^11 /m);
  });

  test(
    "Scaling out: forwards to a real nats-server as written",
    OPTIONS,
    async () => {
      await using server = await natsServer();
      const dir = join(work, "forward-wal");
      const code = runnableExample(
        readmeExample(EXAMPLES.scalingOut),
        dir,
        server.url,
      );
      const out = await runUnderDeno(code, work);
      assert.match(out, /acked: 0/);
      await assertScalingOutRan(dir, server.url);
    },
  );

  test("cleanup", { skip: OPTIONS.skip }, () => {
    rmSync(work, { recursive: true, force: true });
  });
});
