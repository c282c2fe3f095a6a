import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { routeTemplate } from "../../src/server/http_metrics.ts";
import { pathSegments } from "../../src/server/http_request.ts";
import {
  type ParsedFamily,
  parseExposition,
} from "../wire/parse_exposition.ts";
import { expectError, post, withServer } from "./server_helpers.ts";

const NDJSON = { "content-type": "application/x-ndjson" };

/** `GET /metrics`, parsed, by family name. */
async function scrape(
  url: string,
  headers: Record<string, string> = {},
): Promise<Map<string, ParsedFamily>> {
  const response = await fetch(`${url}/metrics`, { headers });
  assert.equal(response.status, 200);
  assert.match(
    response.headers.get("content-type") ?? "",
    /^text\/plain; version=0\.0\.4/,
  );
  const families = parseExposition(await response.text());
  return new Map(families.map((f) => [f.name, f]));
}

/** The value of the sample of `family` whose labels include `labels`. */
function value(
  families: Map<string, ParsedFamily>,
  family: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = families.get(family)?.metrics.find((m) =>
    Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)
  );
  return found?.value === undefined ? undefined : Number(found.value);
}

describe("GET /metrics", () => {
  test("route templates: never a raw path", () => {
    const cases: [string, string][] = [
      ["/", "/"],
      ["/metrics", "/metrics"],
      ["/status", "/status"],
      ["/queues", "/queues"],
      ["/queues/", "/queues"],
      ["/queues/a%2Fb", "/queues/{queue}"],
      ["/queues/a/records?from=1", "/queues/{queue}/records"],
      ["/queues/a/truncate", "/queues/{queue}/truncate"],
      ["/queues/a/retention", "/queues/{queue}/retention"],
      ["/queues/a/consumers", "/queues/{queue}/consumers"],
      ["/queues/a/consumers/c", "/queues/{queue}/consumers/{consumer}"],
      [
        "/queues/a/consumers/c/records",
        "/queues/{queue}/consumers/{consumer}/records",
      ],
      ["/queues/a/consumers/c/ack", "/queues/{queue}/consumers/{consumer}/ack"],
      ["/queues/a/consumers/c/other", "other"],
      ["/queues/a/other", "other"],
      ["/queues/a/records/x", "other"],
      ["/etc/passwd", "other"],
      ["/metrics/x", "other"],
    ];
    for (const [path, template] of cases) {
      const parts = pathSegments(new Request(`http://h${path}`));
      assert.equal(routeTemplate(parts), template, path);
    }
  });

  test("the log's figures, per queue and consumer, with limits when set", async () => {
    await withServer({
      openOptions: {
        memoryLimitBytes: 1 << 20,
        persistPolicy: { kind: "always", action: "fsync" },
      },
    }, async (server) => {
      const odd = 'we"ird\\name\nline';
      const q = `${server.url}/queues/${encodeURIComponent(odd)}`;
      await post(q);
      await post(`${q}/records`, "a\nbb\nccc\n", NDJSON);
      await post(`${q}/records`, "dddd\n", NDJSON);
      await post(`${q}/consumers/indexer`);
      await post(`${q}/consumers/indexer/ack?position=1`);
      const m = await scrape(server.url);
      const queue = { queue: odd };
      assert.equal(value(m, "mrecordlog_queue_records", queue), 2);
      assert.equal(value(m, "mrecordlog_queue_bytes", queue), 7);
      assert.equal(value(m, "mrecordlog_queue_next_position", queue), 4);
      assert.equal(value(m, "mrecordlog_records_appended_total", queue), 4);
      const consumer = { queue: odd, consumer: "indexer" };
      assert.equal(value(m, "mrecordlog_consumer_lag_records", consumer), 2);
      assert.equal(value(m, "mrecordlog_consumer_acked_position", consumer), 1);
      assert.equal(value(m, "mrecordlog_memory_used_bytes"), 7);
      assert.equal(value(m, "mrecordlog_memory_limit_bytes"), 1 << 20);
      assert.equal(m.has("mrecordlog_disk_limit_bytes"), false);
      assert.ok(value(m, "mrecordlog_disk_used_bytes")! > 0);
      assert.equal(value(m, "mrecordlog_segment_files"), 1);
      for (const operation of ["append", "create_queue", "queue_state"]) {
        const bytes = value(m, "mrecordlog_wal_bytes_written_total", {
          operation,
        });
        assert.ok(bytes! > 0, operation);
      }
      assert.equal(
        m.get("mrecordlog_wal_bytes_written_total")!.type,
        "COUNTER",
      );
      const appends = m.get("mrecordlog_append_duration_seconds")!;
      assert.equal(appends.type, "HISTOGRAM");
      assert.equal(Number(appends.metrics[0].count), 2);
      assert.equal(appends.metrics[0].buckets!["+Inf"], "2");
      const fsyncs = m.get("mrecordlog_fsync_duration_seconds")!;
      assert.ok(Number(fsyncs.metrics[0].count) >= 2);
    });
  });

  test("HTTP requests by route template and status, 429s by limit, behind the token", async () => {
    await withServer({ token: "t0ken" }, async (server) => {
      const auth = { authorization: "Bearer t0ken" };
      await expectError(fetch(`${server.url}/metrics`), 401, "Unauthorized");
      const q = `${server.url}/queues/secret-name`;
      await post(q, null, auth);
      await post(q, null, auth); // 409
      await fetch(`${q}/retention`, {
        method: "PUT",
        headers: auth,
        body: '{"maxRecords":1,"discard":"new"}',
      }).then((r) => r.body?.cancel());
      await post(`${q}/records`, "a\n", { ...auth, ...NDJSON });
      const refused = await post(`${q}/records`, "b\n", { ...auth, ...NDJSON });
      await expectError(refused, 429, "RetentionLimitError");
      await fetch(`${server.url}/nowhere/secret-path`, { headers: auth })
        .then((r) => r.body?.cancel());
      const m = await scrape(server.url, auth);
      const requests = m.get("mrecordlog_http_requests_total")!;
      const routes = requests.metrics.map((s) => s.labels!.route);
      for (const route of routes) {
        assert.doesNotMatch(route, /secret/, "no raw path in a label");
      }
      const count = (route: string, method: string, status: string) =>
        value(m, "mrecordlog_http_requests_total", { route, method, status });
      assert.equal(count("/metrics", "GET", "401"), 1);
      assert.equal(count("/queues/{queue}", "POST", "201"), 1);
      assert.equal(count("/queues/{queue}", "POST", "409"), 1);
      assert.equal(count("/queues/{queue}/retention", "PUT", "200"), 1);
      assert.equal(count("/queues/{queue}/records", "POST", "200"), 1);
      assert.equal(count("/queues/{queue}/records", "POST", "429"), 1);
      assert.equal(count("other", "GET", "404"), 1);
      const limited = (limit: string) =>
        value(m, "mrecordlog_http_limited_total", { limit });
      assert.equal(limited("retention"), 1);
      assert.equal(limited("memory"), 0);
      assert.equal(
        value(m, "mrecordlog_appends_rejected_total", { limit: "retention" }),
        1,
      );
      assert.equal(value(m, "mrecordlog_http_read_streams"), 0);
      assert.equal(value(m, "mrecordlog_http_body_bytes"), 0);
      await expectError(
        post(`${server.url}/metrics`, null, auth),
        405,
        "MethodNotAllowed",
      );
      await expectError(
        fetch(`${server.url}/metrics?x=1`, { headers: auth }),
        400,
        "BadQuery",
      );
    });
  });
  test("the forwarders beside the server, by queue and stream", async () => {
    const status = (queue: string, connected: boolean) => ({
      queue,
      server: "nats://127.0.0.1:4222",
      stream: "LOGS",
      subject: `logs.${queue}`,
      consumer: "jetstream",
      acked: 9,
      lag: 3,
      connected,
      lastError: connected ? null : "connection refused",
      inFlight: connected ? 2 : 0,
      forwarded: connected ? 10 : 4,
      duplicates: 1,
      running: true,
    });
    const forwarders = () => [status("a", true), status("b", false)];
    await withServer({ forwarders }, async (server) => {
      const m = await scrape(server.url);
      const a = { queue: "a", stream: "LOGS" };
      const b = { queue: "b", stream: "LOGS" };
      assert.equal(value(m, "mrecordlog_forwarder_connected", a), 1);
      assert.equal(value(m, "mrecordlog_forwarder_connected", b), 0);
      assert.equal(value(m, "mrecordlog_forwarder_in_flight_records", a), 2);
      assert.equal(
        value(m, "mrecordlog_forwarder_records_forwarded_total", b),
        4,
      );
      assert.equal(
        m.get("mrecordlog_forwarder_duplicates_total")?.type,
        "COUNTER",
      );
      assert.equal(value(m, "mrecordlog_forwarder_running", a), 1);
    });
    await withServer({}, async (server) => {
      const m = await scrape(server.url);
      assert.equal(m.has("mrecordlog_forwarder_connected"), false);
    });
  });
});
