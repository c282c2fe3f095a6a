/**
 * The status page's routes without a browser: `GET /` served without the
 * token and holding no data, self-contained, with a fresh nonce in its
 * Content-Security-Policy; `GET /status` behind the token, its JSON.
 * (The page itself runs in `status_page_test.ts`.)
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { statusJson } from "../../src/server/status_json.ts";
import { STATUS_PAGE_SCRIPT } from "../../src/server/status_page_script.ts";
import { statusPageHtml } from "../../src/server/status_page.ts";
import { request, withHandler } from "./server_helpers.ts";

const TOKEN = "t0ken";
const get = (path: string, headers: Record<string, string> = {}): Request =>
  request(path, null, { method: "GET", headers });
const bearer = { authorization: `Bearer ${TOKEN}` };

describe("status routes", () => {
  test("GET / is served without the token, holds no data, and changes its nonce", async () => {
    await withHandler({}, { token: TOKEN }, async (handler, log) => {
      await log.createQueue("a-secret-queue-name");
      const first = await handler(get("/"));
      assert.equal(first.status, 200);
      assert.equal(
        first.headers.get("content-type"),
        "text/html; charset=utf-8",
      );
      assert.equal(first.headers.get("cache-control"), "no-store");
      const html = await first.text();
      assert.ok(!html.includes("a-secret-queue-name"));
      assert.ok(!html.includes(TOKEN));
      const policy = first.headers.get("content-security-policy") ?? "";
      const nonce = /script-src 'nonce-([0-9a-f]{32})'/.exec(policy)?.[1];
      assert.ok(nonce, policy);
      assert.match(policy, /default-src 'none'/);
      assert.match(policy, /connect-src 'self'/);
      assert.match(policy, /form-action 'none'/);
      assert.ok(html.includes(`<script nonce="${nonce}">`));
      assert.ok(html.includes(`<style nonce="${nonce}">`));
      const again = await handler(get("/"));
      const policy2 = again.headers.get("content-security-policy") ?? "";
      assert.ok(!policy2.includes(nonce));
    });
  });

  test("GET /status needs the token; the page's other requests are refused as elsewhere", async () => {
    await withHandler({}, { token: TOKEN }, async (handler) => {
      const refused = await handler(get("/status"));
      assert.equal(refused.status, 401);
      assert.equal((await refused.json()).error, "Unauthorized");
      const answered = await handler(get("/status", bearer));
      assert.equal(answered.status, 200);
      assert.equal(answered.headers.get("cache-control"), "no-store");
      const status = await answered.json();
      assert.deepEqual(status.queues.map((q: { name: string }) => q.name), [
        "q",
      ]);
      assert.equal((await handler(get("/?token=x"))).status, 400);
      assert.equal((await handler(request("/", "x"))).status, 405);
      assert.equal((await handler(request("/status", "x", {}))).status, 401);
      assert.equal(
        (await handler(request("/status", "x", { headers: bearer }))).status,
        405,
      );
      assert.equal((await handler(get("/status/", bearer))).status, 404);
      assert.equal((await handler(get("/status/"))).status, 401);
    });
  });

  test("statusJson: queues in name order with consumers, memory and disk against their limits", async () => {
    const limits = { memoryLimitBytes: 1 << 20, diskLimitBytes: 1 << 30 };
    await withHandler(limits, {}, async (_handler, log) => {
      await log.createQueue("b");
      await log.appendRecords("b", undefined, [new Uint8Array(10)]);
      await log.appendRecords("q", undefined, [new Uint8Array(3)]);
      await log.createConsumer("q", "c1");
      const status = statusJson(log, 1234);
      assert.equal(status.time, 1234);
      assert.deepEqual(status.queues, [
        {
          name: "b",
          firstPosition: 0,
          lastPosition: 0,
          nextPosition: 1,
          recordCount: 1,
          payloadBytes: 10,
          consumers: [],
        },
        {
          name: "q",
          firstPosition: 0,
          lastPosition: 0,
          nextPosition: 1,
          recordCount: 1,
          payloadBytes: 3,
          consumers: [{ name: "c1", acked: null, lag: 1 }],
        },
      ]);
      const usage = log.resourceUsage();
      assert.deepEqual(status.memory, {
        retainedBytes: 13,
        usedBytes: usage.memoryUsedBytes,
        allocatedBytes: usage.memoryAllocatedBytes,
        limitBytes: 1 << 20,
      });
      assert.deepEqual(status.disk, {
        usedBytes: usage.diskUsedBytes,
        limitBytes: 1 << 30,
      });
      assert.equal(status.files.length, log.summary().files.length);
      assert.equal(status.corruptionsSkippedOnOpen, 0);
    });
    await withHandler({}, {}, (_handler, log) => {
      const status = statusJson(log);
      assert.equal(status.memory.limitBytes, null);
      assert.equal(status.disk.limitBytes, null);
      return Promise.resolve();
    });
  });

  test("the page is self-contained and its script parses", () => {
    const html = statusPageHtml("n");
    assert.doesNotMatch(html, /\s(src|href)=/i);
    assert.deepEqual(
      [...html.matchAll(/https?:\/\/[^\s"']+/g)].map((m) => m[0]),
      ["http://www.w3.org/2000/svg"],
    );
    assert.doesNotMatch(STATUS_PAGE_SCRIPT, /<\/script/i);
    assert.doesNotMatch(
      STATUS_PAGE_SCRIPT,
      /innerHTML|outerHTML|insertAdjacentHTML|document\.write/,
    );
    new Function(STATUS_PAGE_SCRIPT); // a syntax error throws here
  });
});
