/**
 * A recording proxy for the log shipper tests: a `node:http` server that
 * keeps each request's bytes as the client sent them (headers that matter,
 * body still compressed), forwards the requests to the ingest server one at
 * a time in the order they arrived, and answers what the server answered.
 * So a test can check what was stored against what the client serialised.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import http from "node:http";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";

/** A request as the client sent it, and the server's answer. */
export interface CapturedRequest {
  /** The path and query. */
  path: string;
  /** `Content-Type`, `""` if none. */
  contentType: string;
  /** `Content-Encoding`, `""` if none. */
  contentEncoding: string;
  /** The body as sent (still compressed). */
  body: Uint8Array;
  /** The server's status, once answered. */
  status?: number;
  /** The server's answer body, once answered. */
  answer?: string;
}

/** A running {@linkcode captureProxy}. */
export interface CaptureProxy {
  /** `http://127.0.0.1:port` of the proxy. */
  url: string;
  /** The port of the proxy. */
  port: number;
  /** The requests received, in order of arrival. */
  requests: CapturedRequest[];
  /** Stops the proxy. */
  close(): Promise<void>;
}

/** A proxy to `target` (`http://host:port`), see the module. */
export async function captureProxy(target: string): Promise<CaptureProxy> {
  const requests: CapturedRequest[] = [];
  let queue = Promise.resolve();
  const server = http.createServer((req, res) => {
    const entry: CapturedRequest = {
      path: req.url ?? "/",
      contentType: req.headers["content-type"] ?? "",
      contentEncoding: String(req.headers["content-encoding"] ?? ""),
      body: new Uint8Array(0),
    };
    requests.push(entry);
    const parts: Buffer[] = [];
    req.on("data", (chunk: Buffer) => parts.push(chunk));
    const ended = new Promise<void>((resolve, reject) => {
      req.on("end", resolve);
      req.on("error", reject);
    });
    queue = queue.then(async () => {
      try {
        await ended;
        entry.body = new Uint8Array(Buffer.concat(parts));
        const headers: Record<string, string> = {};
        if (entry.contentType) headers["content-type"] = entry.contentType;
        if (entry.contentEncoding) {
          headers["content-encoding"] = entry.contentEncoding;
        }
        const answer = await fetch(target + entry.path, {
          method: req.method,
          headers,
          body: entry.body as BodyInit,
        });
        entry.status = answer.status;
        entry.answer = await answer.text();
      } catch (error) {
        entry.status = 599;
        entry.answer = String(error);
      }
      res.writeHead(entry.status, { "content-type": "application/json" });
      res.end(entry.answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    async close(): Promise<void> {
      await queue;
      const closed = new Promise<void>((resolve) =>
        server.close(() => resolve())
      );
      server.closeAllConnections?.();
      await closed;
    },
  };
}

/** The body of `request`, decompressed as its `Content-Encoding` says. */
export function decodedBody(request: CapturedRequest): Uint8Array {
  const bytes = Buffer.from(request.body);
  switch (request.contentEncoding) {
    case "":
    case "identity":
      return bytes;
    case "gzip":
      return zlib.gunzipSync(bytes);
    case "deflate":
      return zlib.inflateSync(bytes);
    default:
      throw new Error(`Unexpected coding ${request.contentEncoding}`);
  }
}

/**
 * The records the server must store for `request`, as text: for JSON, each
 * element of an array (or the object) as `JSON.stringify` writes it; for
 * NDJSON, each non-empty line.
 */
export function expectedRecords(request: CapturedRequest): string[] {
  const text = new TextDecoder().decode(decodedBody(request));
  if (request.contentType.split(";")[0].trim() === "application/json") {
    const value = JSON.parse(text);
    return Array.isArray(value)
      ? value.map((element) => JSON.stringify(element))
      : [JSON.stringify(value)];
  }
  return text.split("\n").map((line) => line.replace(/\r$/, "")).filter((
    line,
  ) => line !== "");
}
