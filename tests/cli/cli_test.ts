import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import { cpSync, existsSync, readdirSync } from "node:fs";
import { lengthPrefixed } from "../support/bytes.ts";
import { RUST_FIXTURES } from "../support/rust_fixtures.ts";
import {
  assertFails,
  CLI,
  cli,
  ok,
  RUNTIME,
  startServe,
  withDir,
} from "./cli_helpers.ts";

describe("cli", () => {
  test("help and usage errors", () => {
    const help = ok(cli(["--help"]));
    for (const command of ["summary", "read", "append", "verify", "serve"]) {
      assert.match(help.out, new RegExp(`^  ${command} `, "m"));
    }
    assert.match(ok(cli(["read", "--help"])).out, /--format/);
    assert.match(ok(cli(["help", "serve"])).out, /--token/);
    assert.match(ok(cli(["verify", "-h"])).out, /Exit code 0/);
    assert.equal(cli([]).status, 2);
    assertFails(cli(["frobnicate"]), 2, /unknown command "frobnicate"/);
    // Which commands take the lock, from the commands themselves.
    const noLock =
      / ((?:[a-z-]+, )*[a-z-]+ and [a-z-]+) take no lock and write nothing in the log directory/
        .exec(help.out.replace(/\s+/g, " "));
    const names = noLock?.[1].split(/, | and /) ?? [];
    for (const command of ["summary", "read", "verify", "backup"]) {
      assert.ok(names.includes(command), `${command} takes no lock`);
    }
    assert.ok(!names.includes("append"));
    assert.match(ok(cli(["summary", "--help"])).out, /Takes no lock/);
    assert.match(
      ok(cli(["append", "--help"])).out,
      /Takes the log directory's lock/,
    );
    assertFails(
      cli(["read", "/tmp"]),
      2,
      /expected 2 arguments, DIR \(the log directory\) and QUEUE \(the queue's name\), got 1 \(see read --help\)$/,
    );
    assertFails(
      cli(["summary", "a", "b"]),
      2,
      /expected 1 argument, DIR \(the log directory\), got 2/,
    );
    assertFails(
      cli(["serve", "a", "b"]),
      2,
      /expected at most 1 argument, DIR/,
    );
    assertFails(cli(["read", "d", "q", "--nope"]), 2, /--nope/);
    assertFails(cli(["read", "d", "q", "--from", "x"]), 2, /--from must be/);
    assertFails(cli(["read", "d", "q", "--format", "xml"]), 2, /--format/);
    assertFails(cli(["truncate", "d", "q", "-1"]), 2, /POSITION|-1/);
    assertFails(cli(["serve", "d", "--policy", "sometimes"]), 2, /--policy/);
    assertFails(
      cli(["serve", "d", "--memory-limit", "lots"]),
      2,
      /--memory-limit/,
    );
    assertFails(cli(["serve", "d", "--port", "70000"]), 2, /--port/);
  });

  test(
    "create, append, read in every format, summary, truncate, delete",
    withDir((root) => {
      const dir = `${root}/log`;
      ok(cli(["create", dir, "events"]));
      assertFails(cli(["create", dir, "events"]), 1, /already exists/);
      const count = 30_000; // about 3 MiB
      const lines = Array.from(
        { length: count },
        (_, i) => JSON.stringify({ i, pad: "z".repeat(90) }),
      );
      const appended = ok(
        cli(["append", dir, "events"], { input: lines.join("\n") + "\n" }),
      );
      assert.deepEqual(JSON.parse(appended.out), {
        firstPosition: 0,
        lastPosition: count - 1,
        count,
      });

      const ndjson = ok(cli(["read", dir, "events"])).out.trim().split("\n");
      assert.equal(ndjson.length, count);
      ndjson.forEach((l, i) => {
        const { position, payload } = JSON.parse(l);
        assert.equal(position, i);
        assert.equal(Buffer.from(payload, "base64").toString(), lines[i]);
      });
      assert.equal(
        ok(cli(["read", dir, "events", "--format", "raw"])).out,
        lines.join("\n") + "\n",
      );
      const hex = ok(
        cli([
          "read",
          dir,
          "events",
          "--format",
          "hex",
          "--from",
          "5",
          "--to",
          "6",
        ]),
      );
      assert.equal(
        hex.out,
        `5\t${Buffer.from(lines[5]).toString("hex")}\n6\t${
          Buffer.from(lines[6]).toString("hex")
        }\n`,
      );

      const summary = ok(cli(["summary", dir])).out;
      assert.match(
        summary,
        /"events": positions 0\.\.29999, 30000 record\(s\)/,
      );
      assert.match(summary, /wal-00000000000000000000: \d+ bytes/);
      const json = JSON.parse(ok(cli(["summary", dir, "--json"])).out);
      assert.equal(json.queues.events.recordCount, count);
      assert.equal(
        json.queues.events.payloadBytes,
        lines.reduce((n, l) => n + l.length, 0),
      );
      assert.equal(json.files[0].name, "wal-00000000000000000000");

      assert.equal(
        ok(cli(["truncate", dir, "events", "9"])).out,
        "10 record(s) dropped\n",
      );
      const first = ok(cli(["read", dir, "events", "--to", "10"])).out.trim()
        .split("\n");
      assert.deepEqual(first.map((l) => JSON.parse(l).position), [10]);
      ok(cli(["delete", dir, "events"]));
      assert.deepEqual(
        JSON.parse(ok(cli(["summary", dir, "--json"])).out).queues,
        {},
      );
      assertFails(cli(["delete", dir, "events"]), 1, /No such queue/);
    }),
  );

  test(
    "binary records, length-prefixed both ways; retries with --position",
    withDir((dir) => {
      const records = [
        new Uint8Array([10, 13, 0, 255]),
        new Uint8Array(0),
        new Uint8Array(70_000).fill(0x0a),
      ];
      const input = lengthPrefixed(records);
      const first = ok(
        cli(["append", dir, "bin", "--length-prefixed", "--create"], { input }),
      );
      assert.deepEqual(JSON.parse(first.out), {
        firstPosition: 0,
        lastPosition: 2,
        count: 3,
      });
      const retry = ok(
        cli(["append", dir, "bin", "--length-prefixed", "--position", "0"], {
          input,
        }),
      );
      assert.deepEqual(JSON.parse(retry.out), JSON.parse(first.out));
      const read = ok(cli(["read", dir, "bin", "--format", "length-prefixed"]));
      assert.deepEqual(new Uint8Array(read.stdout), new Uint8Array(input));
      const conflict = cli(["append", dir, "bin", "--position", "1"], {
        input: "other\n",
      });
      assertFails(conflict, 1, /in the past/);
      const truncated = cli(["append", dir, "bin", "--length-prefixed"], {
        input: Buffer.concat([
          lengthPrefixed([new Uint8Array([1])]),
          Buffer.from([5, 0]),
        ]),
      });
      assertFails(
        truncated,
        1,
        /Input ended inside a length prefix.*1 record\(s\) were appended first, at positions 3\.\.3/,
      );
      const tooLarge = cli(["append", dir, "bin", "--max-record-bytes", "10"], {
        input: "short\n" + "x".repeat(11) + "\n",
      });
      assertFails(tooLarge, 1, /exceeds the limit of 10 bytes/);
    }),
  );

  test(
    "refuses directories that are not logs, without writing to them",
    withDir((dir) => {
      assertFails(cli(["summary", `${dir}/missing`]), 1, /no such directory/);
      assertFails(cli(["read", dir, "q"]), 1, /not a log directory/);
      assertFails(
        cli(["append", dir, "q"], { input: "x\n" }),
        1,
        /not a log directory/,
      );
      assert.deepEqual(readdirSync(dir), []);
      assertFails(cli(["verify", `${dir}/missing`]), 2, /no such directory/);
      ok(cli(["create", dir, "q"]));
      assertFails(cli(["read", dir, "nope"]), 1, /No such queue: "nope"/);
      assertFails(
        cli(["append", dir, "nope"], { input: "x\n" }),
        1,
        /No such queue/,
      );
    }),
  );

  test(
    "verify: exit code 0 when intact, 1 on corruption",
    withDir((dir) => {
      ok(cli(["create", dir, "q"]));
      ok(cli(["append", dir, "q"], { input: "a\nb\n" }));
      const intact = ok(cli(["verify", dir]));
      assert.match(intact.out, /^wal-00000000000000000000 .*intact$/m);
      assert.match(intact.out, /^intact: 1 file\(s\)/m);
      cpSync(`${RUST_FIXTURES}corrupted-middle-payload/wal`, `${dir}/bad`, {
        recursive: true,
      });
      const bad = cli(["verify", `${dir}/bad`]);
      assert.equal(bad.status, 1);
      assert.match(bad.out, /block 3 \(offset 98304\): CORRUPTED/);
      assert.match(bad.out, /offset 114070: checksum mismatch/);
      assert.match(bad.out, /^CORRUPTED: 1 problem/m);
      const json = JSON.parse(cli(["verify", `${dir}/bad`, "--json"]).out);
      assert.equal(json.intact, false);
      assert.equal(json.files[0].blocks[3].corruptions[0].offset, 114070);
    }),
  );

  test(
    "stops quietly when stdout is closed early",
    withDir(async (dir) => {
      ok(cli(["create", dir, "q"]));
      ok(
        cli(["append", dir, "q"], {
          input: "y".repeat(1000) + "\n".repeat(1) +
            ("z".repeat(1000) + "\n").repeat(20_000),
        }),
      );
      const child = spawn(RUNTIME[0], [
        ...RUNTIME.slice(1),
        CLI,
        "read",
        dir,
        "q",
        "--format",
        "raw",
      ]);
      let stderr = "";
      child.stderr.on("data", (chunk) => stderr += chunk);
      await new Promise<void>((resolve) =>
        child.stdout.once("data", () => resolve())
      );
      child.stdout.destroy();
      const status = await new Promise((resolve) => child.on("close", resolve));
      assert.equal(status, 0, stderr);
      assert.equal(stderr, "");
    }),
  );

  test(
    "serve: token, default ./data, data kept; summary and read snapshot the live log, writing commands see the lock",
    withDir(async (dir) => {
      const server = await startServe([
        "--port",
        "0",
        "--policy",
        "always-flush",
      ], {
        cwd: dir,
        env: { MRECORDLOG_TOKEN: "tok" },
      });
      const { url } = server;
      let code: number | null;
      let signal: string | null;
      try {
        assert.match(
          server.banner,
          /serving \.\/data at http:\/\/127\.0\.0\.1:\d+ \(bearer token required\)/,
        );
        assert.equal((await fetch(`${url}/queues`)).status, 401);
        const auth = { authorization: "Bearer tok" };
        assert.equal(
          (await fetch(`${url}/queues/q`, { method: "POST", headers: auth }))
            .status,
          201,
        );
        const appended = await fetch(`${url}/queues/q/records`, {
          method: "POST",
          headers: auth,
          body: "one\ntwo\n",
        });
        assert.deepEqual(await appended.json(), {
          firstPosition: 0,
          lastPosition: 1,
          count: 2,
          written: 2,
        });
        // summary and read take a snapshot of the log the server holds;
        // a command that writes is refused.
        const live = JSON.parse(
          ok(cli(["summary", `${dir}/data`, "--json"])).out,
        );
        assert.equal(live.queues.q.recordCount, 2);
        assert.equal(
          ok(cli(["read", `${dir}/data`, "q", "--format", "raw"])).out,
          "one\ntwo\n",
        );
        assertFails(
          cli(["append", `${dir}/data`, "q"], { input: "three\n" }),
          1,
          /open elsewhere/,
        );
      } finally {
        [code, signal] = await server.stop();
      }
      const stderr = server.stderr();
      // Deno's node:child_process reports the signal sent by kill() even when
      // the child handled it and exited 0: the lock file tells the clean stop.
      assert.ok(
        code === 0 || ("Deno" in globalThis && signal === "SIGTERM"),
        `${code} ${signal} ${stderr}`,
      );
      assert.match(stderr, /^mrecordlog: stopping$/m);
      assert.equal(existsSync(`${dir}/data/mrecordlog.lock`), false);
      assert.ok(
        readdirSync(`${dir}/data`).includes("wal-00000000000000000000"),
      );
      const read = ok(cli(["read", `${dir}/data`, "q", "--format", "raw"]));
      assert.equal(read.out, "one\ntwo\n");
    }),
  );
});
