// The npm package as a user gets it: `npm pack` (which builds dist/), then the
// tarball installed into an empty project, where the library, its types, and
// `mrecordlog serve` are used under Node and under Bun. The package is packed
// and installed once per run of this file, in a temp dir removed at exit.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { natsServer } from "../jetstream/nats_server.ts";
import { missingDevTool, REPO, runOk, startServer } from "./process_helpers.ts";
import {
  assertScalingOutRan,
  EXAMPLES,
  readmeExample,
  runnableExample,
} from "./readme_examples.ts";

// Packing builds dist/ with tsc and installing copies it: done once per suite
// run, in its Node run (the third of `npm test`), which starts Node and Bun.
const ONLY_UNDER_NODE = "Deno" in globalThis || "Bun" in globalThis
  ? "runs once, in the suite's Node run (it starts Node and Bun itself)"
  : undefined;
const TIMEOUT = { timeout: 300_000, skip: ONLY_UNDER_NODE };
const BUN = `${REPO}node_modules/.bin/bun`;

/** A script a user would write: open, append (directly and through a stream), read, reopen. */
const ROUND_TRIP = `
import { LineSplitStream, MultiRecordLog } from "@x/mrecordlog";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "mrecordlog-user-"));
const text = (record) => new TextDecoder().decode(record.payload);
let log = await MultiRecordLog.open(dir, {
  persistPolicy: { kind: "always", action: "fsync" },
});
await log.createQueue("q");
await log.appendRecord("q", undefined, new TextEncoder().encode("one"));
const body = new Blob(["two\\nthree\\n"]).stream();
await body.pipeThrough(new LineSplitStream()).pipeTo(log.writable("q"));
await log.close();
log = await MultiRecordLog.open(dir);
const records = [...log.range("q")].map((r) => r.position + ":" + text(r));
await log.close();
rmSync(dir, { recursive: true });
console.log(JSON.stringify(records));
`;

/** Uses every export with its types; checked by tsc with Node's types only. */
const CONSUMER = `
import { MultiRecordLog, type OpenOptions } from "@x/mrecordlog";
import { createIngestHandler, type IngestServer, serveIngest } from "@x/mrecordlog/server";
import { main } from "@x/mrecordlog/cli";

const options: OpenOptions = { persistPolicy: { kind: "always", action: "fsync" } };
export async function use(): Promise<[Response, IngestServer, number]> {
  const log: MultiRecordLog = await MultiRecordLog.open("./wal", options);
  const response = await createIngestHandler(log)(new Request("http://x/queues"));
  return [response, await serveIngest("./data", { port: 0 }), await main(["--help"])];
}
`;

const TSCONFIG = {
  compilerOptions: {
    target: "es2022",
    lib: ["es2022"],
    types: ["node"],
    typeRoots: [`${REPO}node_modules/@types`],
    module: "nodenext",
    moduleResolution: "nodenext",
    strict: true,
    noEmit: true,
    skipLibCheck: false,
  },
  files: ["consumer.ts"],
};

let project: Promise<string> | undefined;
/** The packed tarball's path (once {@linkcode installedProject} packed it). */
let tarball = "";

/** The temp project with the packed package installed (packed once). */
function installedProject(): Promise<string> {
  project ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "mrecordlog-npm-"));
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    const packed = await runOk(
      "npm",
      ["pack", "--json", "--pack-destination", dir],
      { cwd: REPO },
    );
    const [{ filename }] = JSON.parse(packed.slice(packed.indexOf("[")));
    tarball = join(dir, filename);
    const app = join(dir, "app");
    runSetup(app);
    await runOk(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        `../${filename}`,
      ],
      { cwd: app },
    );
    return app;
  })();
  return project;
}

let natsProject: Promise<string> | undefined;

/**
 * A second temp project: the packed package with the NATS clients it names
 * as optional peer dependencies (the versions this repository tests with),
 * as the README's Scaling out says to install them.
 */
function installedWithNats(): Promise<string> {
  natsProject ??= (async () => {
    const app = join(await installedProject(), "..", "app-nats");
    runSetup(app);
    const dev = JSON.parse(readFileSync(`${REPO}package.json`, "utf8"))
      .devDependencies as Record<string, string>;
    const peers = ["@nats-io/jetstream", "@nats-io/nats-core"];
    peers.push("@nats-io/transport-node");
    await runOk(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        tarball,
        ...peers.map((name) => `${name}@${dev[name]}`),
      ],
      { cwd: app },
    );
    return app;
  })();
  return natsProject;
}

/** An empty ES module project with the scripts the tests run. */
function runSetup(app: string): void {
  mkdirSync(app, { recursive: true });
  const files: Record<string, string> = {
    "package.json": JSON.stringify({
      name: "app",
      private: true,
      type: "module",
    }),
    "round_trip.mjs": ROUND_TRIP,
    "consumer.ts": CONSUMER,
    "tsconfig.json": JSON.stringify(TSCONFIG),
  };
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(app, name), text);
  }
}

describe("the npm package", () => {
  test(
    "holds dist/ and what its exports and bin point at, and nothing for development",
    TIMEOUT,
    async () => {
      const app = await installedProject();
      const root = join(app, "node_modules/@x/mrecordlog");
      const manifest = JSON.parse(
        readFileSync(join(root, "package.json"), "utf8"),
      );
      assert.equal(
        manifest.version,
        JSON.parse(readFileSync(`${REPO}deno.json`, "utf8")).version,
      );
      for (const [subpath, target] of Object.entries(manifest.exports)) {
        const files = typeof target === "string"
          ? [target]
          : Object.values(target as object);
        for (const file of files) {
          assert.ok(
            existsSync(join(root, file)),
            `${subpath}: ${file}`,
          );
        }
      }
      assert.deepEqual(readdirSync(root).sort(), [
        "LICENSE",
        "README.md",
        "dist",
        "package.json",
      ]);
      assert.ok(
        !readdirSync(join(root, "dist"), { recursive: true }).some((f) =>
          String(f).endsWith(".ts") && !String(f).endsWith(".d.ts")
        ),
      );
      const bin = join(app, "node_modules/.bin/mrecordlog");
      assert.ok(statSync(bin).mode & 0o111, "the bin is executable");
      // Installing it downloads no runtime: only the package and the Node server adapter.
      const installed = readdirSync(join(app, "node_modules")).filter((n) =>
        !n.startsWith(".")
      );
      assert.deepEqual(installed.sort(), ["@x", "srvx"]);
    },
  );

  test(
    "its types check with Node's types only (tsc, skipLibCheck off)",
    TIMEOUT,
    async () => {
      const app = await installedProject();
      await runOk(`${REPO}node_modules/.bin/tsc`, ["-p", "tsconfig.json"], {
        cwd: app,
      });
    },
  );

  test("npx mrecordlog runs the command-line tool", TIMEOUT, async () => {
    const app = await installedProject();
    const help = await runOk("npx", ["--offline", "mrecordlog", "--help"], {
      cwd: app,
    });
    assert.match(help, /^ *serve /m);
  });

  test(
    "with the NATS clients beside it, still no Deno or Bun",
    TIMEOUT,
    async () => {
      const app = await installedWithNats();
      const installed = readdirSync(join(app, "node_modules"));
      assert.ok(installed.includes("@nats-io"), installed.join(" "));
      assert.ok(
        !installed.some((name) => /^(deno|bun)$|^@(deno|oven)\b/.test(name)),
        installed.join(" "),
      );
    },
  );

  for (const runtime of ["node", "bun"] as const) {
    const skip = ONLY_UNDER_NODE ??
      (runtime === "bun" ? missingDevTool("bun") : undefined);
    const exe = runtime === "bun" ? BUN : "node";

    test(`under ${runtime}: the README's Use example runs as written`, {
      ...TIMEOUT,
      skip,
    }, async () => {
      const app = await installedProject();
      const dir = join(app, `use-wal-${runtime}`);
      const code = runnableExample(readmeExample(EXAMPLES.use), dir);
      writeFileSync(join(app, `use-${runtime}.mjs`), code);
      const out = await runOk(exe, [`use-${runtime}.mjs`], { cwd: app });
      assert.match(out, /^11 /m);
    });

    test(
      `under ${runtime}: the README's Scaling out example forwards to a real nats-server`,
      { ...TIMEOUT, skip },
      async () => {
        const app = await installedWithNats();
        await using server = await natsServer();
        const dir = join(app, `forward-wal-${runtime}`);
        const code = runnableExample(
          readmeExample(EXAMPLES.scalingOut),
          dir,
          server.url,
        );
        writeFileSync(join(app, `forward-${runtime}.mjs`), code);
        const out = await runOk(exe, [`forward-${runtime}.mjs`], { cwd: app });
        assert.match(out, /acked: 0/);
        await assertScalingOutRan(dir, server.url);
      },
    );

    test(`under ${runtime}: open, append, read through a stream, reopen`, {
      ...TIMEOUT,
      skip,
    }, async () => {
      const app = await installedProject();
      const out = await runOk(exe, ["round_trip.mjs"], { cwd: app });
      assert.deepEqual(JSON.parse(out), ["0:one", "1:two", "2:three"]);
    });

    test(
      `under ${runtime}: mrecordlog serve answers on a free port, stops on SIGTERM`,
      { ...TIMEOUT, skip },
      async () => {
        const app = await installedProject();
        const args = ["serve", "./data", "--port", "0"];
        // Node: the bin itself, as npm scripts and a global install run it
        // (npx would not pass the SIGTERM on); Bun: as the README says.
        const server = runtime === "node"
          ? await startServer("node_modules/.bin/mrecordlog", args, {
            cwd: app,
          })
          : await startServer(BUN, ["x", "--bun", "mrecordlog", ...args], {
            cwd: app,
          });
        try {
          assert.equal(
            (await fetch(`${server.url}/queues/q`, { method: "POST" })).status,
            201,
          );
          const appended = await fetch(`${server.url}/queues/q/records`, {
            method: "POST",
            headers: { "Content-Type": "application/x-ndjson" },
            body: "a\nb\n",
          });
          assert.equal(appended.status, 200, await appended.clone().text());
          assert.deepEqual((await appended.json()).count, 2);
          const queues = await fetch(`${server.url}/queues`);
          assert.equal(queues.status, 200);
          assert.equal((await queues.json()).queues.q.recordCount, 2);
        } finally {
          const { code, stderr } = await server.stop();
          assert.equal(code, 0, stderr);
        }
        assert.ok(existsSync(join(app, "data")));
        rmSync(join(app, "data"), { recursive: true });
      },
    );
  }
});
