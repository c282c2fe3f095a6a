/**
 * Helpers of the status page's browser test: Debian's Chromium driven by
 * `playwright-core`, reading the page's tables, waiting (bounded) for what
 * the page shows, and appending over HTTP.
 *
 * @module
 */

import { existsSync } from "node:fs";
import process from "node:process";
import { type Browser, chromium, type Page } from "playwright-core";
import type { IngestServer } from "../../src/server/ingest_server.ts";

/** The browser: Debian's `chromium` package, or `CHROMIUM_PATH`. */
export const CHROMIUM_PATH: string = process.env.CHROMIUM_PATH ??
  "/usr/bin/chromium";

/** Launches headless Chromium (a fresh, temporary profile). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: install Debian's chromium package ` +
        "(.ci/run does: apt-get install -y chromium) or set CHROMIUM_PATH",
    );
  }
  return await chromium.launch({
    executablePath: CHROMIUM_PATH,
    timeout: 60_000,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** The little of a DOM element the table reader uses (no DOM types here). */
interface Element {
  textContent: string | null;
  querySelectorAll(selector: string): ArrayLike<Element>;
}

/** The text of each cell of each body row of the table `#id`. */
export async function tableRows(page: Page, id: string): Promise<string[][]> {
  return await page.locator(`#${id} tbody tr`).evaluateAll(
    (rows: Element[]) =>
      rows.map((row) =>
        Array.from(row.querySelectorAll("td"), (td) => td.textContent ?? "")
      ),
  );
}

/**
 * Waits until `probe()` returns something other than `undefined` (polling
 * every 50 ms), and returns it; fails with `what` after `timeoutMs`. A
 * bounded wait for what the page shows, not a timing assertion.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the table `#id` has a row for which `match` holds; returns it. */
export function rowShown(
  page: Page,
  id: string,
  what: string,
  match: (cells: string[]) => boolean,
): Promise<string[]> {
  return eventually(`${what} in #${id}`, async () => {
    return (await tableRows(page, id)).find(match);
  });
}

/** `POST`s to the server, with the token if given; fails unless 2xx. */
export async function send(
  server: IngestServer,
  path: string,
  body: string | null,
  token?: string,
): Promise<unknown> {
  const headers: Record<string, string> = {
    "content-type": "application/x-ndjson",
  };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(server.url + path, {
    method: "POST",
    body,
    headers,
  });
  const answer = await response.json();
  if (!response.ok) {
    throw new Error(
      `POST ${path}: ${response.status} ${JSON.stringify(answer)}`,
    );
  }
  return answer;
}

/** The path of `queue`'s records. */
export function recordsPath(queue: string): string {
  return `/queues/${encodeURIComponent(queue)}/records`;
}

/** Creates `queue` over HTTP. */
export async function createQueue(
  server: IngestServer,
  queue: string,
  token?: string,
): Promise<void> {
  await send(server, `/queues/${encodeURIComponent(queue)}`, null, token);
}

/** Appends `count` small NDJSON records to `queue` over HTTP. */
export async function appendRecords(
  server: IngestServer,
  queue: string,
  count: number,
  token?: string,
): Promise<void> {
  const body = Array.from(
    { length: count },
    (_, i) => JSON.stringify({ i, at: Date.now() }) + "\n",
  ).join("");
  await send(server, recordsPath(queue), body, token);
}
