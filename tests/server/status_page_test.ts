/**
 * The status page in a real browser (Debian's headless Chromium through
 * `playwright-core`): the token asked once and never put in a URL, new
 * counts shown without a reload, names shown as text, limits, consumers,
 * log files and the rate chart. A screenshot goes to a temp folder (its path
 * is printed); with `UPDATE_SCREENSHOT=1`, after a minute of traffic, to
 * `docs/status-page.png` too (the README's).
 */

import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, test } from "node:test";
import type { Browser, Page, Request } from "playwright-core";
import type { IngestServer } from "../../src/server/ingest_server.ts";
import { withServer } from "./server_helpers.ts";
import {
  appendRecords,
  createQueue,
  eventually,
  launchChromium,
  rowShown,
  tableRows,
} from "./status_browser.ts";

const TOKEN = "s3cret-token_for/the.page";
const MiB = 1024 * 1024;
const UPDATE_SCREENSHOT = process.env.UPDATE_SCREENSHOT === "1";

describe("status page in Chromium", { timeout: 240_000 }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  async function withPage(fn: (page: Page) => Promise<void>): Promise<void> {
    const context = await browser.newContext({
      viewport: { width: 1100, height: 900 },
    });
    try {
      await fn(await context.newPage());
    } finally {
      await context.close();
    }
  }

  test("with a token: asked once, never in a URL; new counts shown without a reload", async () => {
    await withServer({ token: TOKEN }, async (server) => {
      await withPage(async (page) => {
        const requests: Request[] = [];
        page.on("request", (request) => void requests.push(request));
        await createQueue(server, "events", TOKEN);
        await appendRecords(server, "events", 3, TOKEN);

        await page.goto(server.url + "/");
        await page.locator("#login").waitFor({ state: "visible" });
        assert.equal(await page.locator("#status").isVisible(), false);
        await page.fill("#token", "not-the-token");
        await page.click("#login button");
        await eventually("the refusal", async () => {
          const text = await page.locator("#login-message").textContent();
          return text?.includes("refused") ? text : undefined;
        });

        await page.fill("#token", TOKEN);
        await page.click("#login button");
        await rowShown(
          page,
          "queues",
          "events with 3 records",
          (cells) =>
            cells[0] === "events" && cells[1] === "0" && cells[2] === "2" &&
            cells[3] === "3",
        );
        await page.evaluate("window.notReloaded = true");

        await appendRecords(server, "events", 5, TOKEN);
        await rowShown(
          page,
          "queues",
          "events with 8 records",
          (cells) =>
            cells[0] === "events" && cells[2] === "7" && cells[3] === "8",
        );
        assert.equal(await page.evaluate("window.notReloaded"), true);
        assert.equal(await page.locator("#login").isVisible(), false);

        for (const request of requests) {
          assert.ok(!request.url().includes(TOKEN), request.url());
          assert.ok(!request.url().includes(encodeURIComponent(TOKEN)));
        }
        const polls = requests.filter((r) =>
          new URL(r.url()).pathname === "/status"
        );
        const last = await polls[polls.length - 1].allHeaders();
        assert.equal(last.authorization, `Bearer ${TOKEN}`);

        // Entered once: a reload of the tab asks no more.
        await page.reload();
        await rowShown(
          page,
          "queues",
          "events after a reload",
          (cells) => cells[0] === "events" && cells[3] === "8",
        );
        assert.equal(await page.locator("#login").isVisible(), false);
      });
    });
  });

  test("names are shown as text, never as HTML", async () => {
    const evil = [
      `<img src=x onerror="window.pwned=1">`,
      `</script><script>window.pwned=2</script>`,
      `a&amp;b "quoted" 'single' \\ \u202e`,
    ];
    await withServer({}, async (server) => {
      for (const name of evil) {
        await createQueue(server, name);
        await appendRecords(server, name, 2);
      }
      await server.log.createConsumer(evil[0], evil[1]);
      await withPage(async (page) => {
        const response = await page.goto(server.url + "/");
        const policy = response?.headers()["content-security-policy"] ?? "";
        assert.match(policy, /default-src 'none'/);
        assert.match(policy, /script-src 'nonce-/);
        for (const name of evil) {
          await rowShown(
            page,
            "queues",
            JSON.stringify(name),
            (cells) => cells[0] === name && cells[3] === "2",
          );
        }
        await rowShown(
          page,
          "consumers",
          "the consumer",
          (cells) =>
            cells[0] === evil[0] && cells[1] === evil[1] && cells[3] === "2",
        );
        const legend = await eventually("the legend", async () => {
          const names = await page.locator("#legend .legend-name")
            .allTextContents();
          return names.length === evil.length ? names : undefined;
        });
        assert.deepEqual([...legend].sort(), [...evil].sort());
        assert.equal(await page.locator("img").count(), 0);
        assert.equal(await page.locator("script").count(), 1);
        assert.equal(await page.evaluate("window.pwned"), undefined);
      });
    });
  });

  test("limits, consumer lag, log files and the rate chart, updated live; a screenshot", async () => {
    const openOptions = {
      memoryLimitBytes: 64 * MiB,
      diskLimitBytes: 512 * MiB,
    };
    await withServer({ openOptions }, async (server) => {
      const queues = ["events", "metrics/cpu", "logs/app-1"];
      for (const queue of queues) await createQueue(server, queue);
      await appendRecords(server, "events", 40);
      await server.log.createConsumer("events", "indexer");
      await server.log.ack("events", "indexer", 29);
      await withPage(async (page) => {
        await page.goto(server.url + "/");
        await rowShown(
          page,
          "consumers",
          "indexer 10 behind",
          (cells) => cells.join("|") === "events|indexer|29|10",
        );
        const memory = await page.locator("#memory .figures").textContent();
        assert.match(memory ?? "", / of 64 MiB \(/);
        const disk = await page.locator("#disk .figures").textContent();
        assert.match(disk ?? "", / of 512 MiB \(/);
        const files = await tableRows(page, "files");
        assert.deepEqual(
          files.map((cells) => cells[0]),
          server.log.summary().files.map((f) =>
            `wal-${String(f.number).padStart(20, "0")}`
          ),
        );

        await appendRecords(server, "events", 5);
        await rowShown(
          page,
          "consumers",
          "indexer 15 behind",
          (cells) => cells.join("|") === "events|indexer|29|15",
        );
        // Traffic flows until the page has shown it (and, for the README's
        // screenshot, for a minute more).
        const stop = new AbortController();
        const flowing = traffic(server, queues, stop.signal);
        try {
          await rowShown(
            page,
            "queues",
            "a rate",
            (cells) =>
              cells[0] === "events" && /^[1-9][\d,.]*\/s$/.test(cells[5]),
          );
          await eventually("a line per queue in the chart", async () => {
            const lines = await page.locator("#chart polyline").count();
            return lines === queues.length ? lines : undefined;
          });
          // The chart draws the rate: a segment of each queue's line (two
          // points or more), above the zero line at some point.
          await eventually("each queue's rate drawn above zero", async () => {
            const lines = await chartLines(page);
            const drawn = queues.every((queue) => {
              const line = lines.find((l) => l.name === queue);
              return line !== undefined && line.ys.length >= 2 &&
                line.ys.some((y) => y < line.zeroY - 0.5);
            });
            return drawn ? lines : undefined;
          });
          if (UPDATE_SCREENSHOT) await delay(60_000);
          await screenshot(page);
        } finally {
          stop.abort();
          await flowing;
        }
      });
    });
  });
});

/**
 * Appends to each queue at its own, varying rate (about 10 batches a
 * second) until `signal` aborts, so that the chart has something to draw.
 */
async function traffic(
  server: IngestServer,
  queues: string[],
  signal: AbortSignal,
): Promise<void> {
  for (let tick = 0; !signal.aborted; tick++) {
    await Promise.all(queues.map((queue, i) => {
      const wave = 1 + Math.sin(tick / (15 + 10 * i) + i);
      const count = Math.round((30 / (i + 1)) * wave) + 1;
      return appendRecords(server, queue, count);
    }));
    await delay(100);
  }
}

/** Each line of the rate chart: its queue, the y of its points, the y of rate 0. */
async function chartLines(
  page: Page,
): Promise<{ name: string; ys: number[]; zeroY: number }[]> {
  // The first grid line is the rate 0 (the chart draws 0, top / 2, top).
  return await page.evaluate(`(() => {
    const zeroY = Number(
      document.querySelector("#chart line.grid").getAttribute("y1"),
    );
    return [...document.querySelectorAll("#chart polyline")].map((line) => ({
      name: line.querySelector("title").textContent,
      ys: line.getAttribute("points").trim().split(" ")
        .map((point) => Number(point.split(",")[1])),
      zeroY,
    }));
  })()`) as { name: string; ys: number[]; zeroY: number }[];
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes the page to a temp folder (printed), and to docs/ if asked. */
async function screenshot(page: Page): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "mrecordlog-status-page-"));
  const path = join(dir, "status-page.png");
  await page.screenshot({ path, fullPage: true });
  console.log(`status page screenshot: ${path}`);
  if (UPDATE_SCREENSHOT) {
    const docs = new URL("../../docs/status-page.png", import.meta.url);
    copyFileSync(path, docs);
    console.log(`status page screenshot copied to ${docs.pathname}`);
  }
}
