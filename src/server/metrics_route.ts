/**
 * `GET /metrics`: the log's metrics (`MultiRecordLog.metrics()`) and the
 * server's own, in the Prometheus text exposition format 0.0.4. The server
 * only formats what the log counts; the names follow Prometheus' naming
 * conventions (`mrecordlog_` prefix, units in the name, `_total` for
 * counters).
 *
 * @module
 */

import type { LogMetrics, QueueMetrics } from "../log/log_metrics.ts";
import type { MultiRecordLog } from "../log/multi_record_log.ts";
import {
  type MetricFamily,
  PROMETHEUS_CONTENT_TYPE,
  prometheusText,
  type ValueSample,
} from "../wire/prometheus_text.ts";
import type { ForwarderStatusJson } from "../wire/forwarder_status_json.ts";
import type { HttpMetrics } from "./http_metrics.ts";
import { allowMethods, parseQuery } from "./http_request.ts";

/** What `GET /metrics` needs of the server. */
export interface MetricsContext {
  /** The log served. */
  log: MultiRecordLog;
  /** The server's request counters. */
  http: HttpMetrics;
  /** Record streams being sent. */
  openReadStreams: number;
  /** The bytes of bodies being received, counted against the memory limit. */
  memory: { readonly heldBytes: number };
  /** The forwarders running beside the server (`serve --forward`), if any. */
  options: { forwarders?: () => ForwarderStatusJson[] };
}

/** Answers `GET /metrics`. */
export function metricsRoute(
  context: MetricsContext,
  request: Request,
  url: URL,
): Response {
  allowMethods(request, "GET");
  parseQuery(url, []);
  const families = [
    ...logMetricFamilies(context.log.metrics()),
    ...serverFamilies(context),
    ...forwarderFamilies(context.options.forwarders?.() ?? []),
  ];
  return new Response(prometheusText(families), {
    status: 200,
    headers: {
      "content-type": PROMETHEUS_CONTENT_TYPE,
      "cache-control": "no-store",
    },
  });
}

function gauge(name: string, help: string, value?: number): MetricFamily {
  const samples = value === undefined ? [] : [{ value }];
  return { name, help, type: "gauge", samples };
}

/** The families of the log's figures (a limit not set is left out). */
export function logMetricFamilies(metrics: LogMetrics): MetricFamily[] {
  return [
    ...sizeFamilies(metrics),
    ...writeFamilies(metrics),
    ...queueFamilies(metrics.queues),
    ...consumerFamilies(metrics.queues),
  ];
}

/** The log's sizes in memory and on disk, and their limits. */
function sizeFamilies(m: LogMetrics): MetricFamily[] {
  return [
    gauge(
      "mrecordlog_memory_used_bytes",
      "Payload bytes the log holds in memory (what the memory limit counts, without the bodies being received).",
      m.memoryUsedBytes,
    ),
    gauge(
      "mrecordlog_memory_limit_bytes",
      "The memory limit (--memory-limit).",
      m.memoryLimitBytes,
    ),
    gauge(
      "mrecordlog_memory_allocated_bytes",
      "Bytes allocated for payloads and their index.",
      m.memoryAllocatedBytes,
    ),
    gauge(
      "mrecordlog_disk_used_bytes",
      "Bytes the log files occupy on disk (what the disk limit counts).",
      m.diskUsedBytes,
    ),
    gauge(
      "mrecordlog_disk_limit_bytes",
      "The disk limit (--disk-limit).",
      m.diskLimitBytes,
    ),
    gauge(
      "mrecordlog_segment_files",
      "Log files in the directory; growing without bound: a queue is never truncated.",
      m.segmentFiles,
    ),
  ];
}

/** What the log wrote, refused, and how long its appends and fsyncs took. */
function writeFamilies(m: LogMetrics): MetricFamily[] {
  return [
    {
      name: "mrecordlog_wal_bytes_written_total",
      help: "Bytes written to the log since it was opened, by operation.",
      type: "counter",
      samples: Object.entries(m.walBytesWritten)
        .map(([operation, value]) => ({ labels: { operation }, value })),
    },
    {
      name: "mrecordlog_appends_rejected_total",
      help:
        "Appends the log refused since it was opened (nothing stored), by the limit they met.",
      type: "counter",
      samples: Object.entries(m.appendsRejected)
        .map(([limit, value]) => ({ labels: { limit }, value })),
    },
    {
      name: "mrecordlog_append_duration_seconds",
      help:
        "Append-to-acknowledgement time: from an append's records laid out to their persistence as the policy says (timed per commit).",
      type: "histogram",
      samples: [{ histogram: m.appendDurationSeconds }],
    },
    {
      name: "mrecordlog_fsync_duration_seconds",
      help: "Duration of the fsyncs of the log files.",
      type: "histogram",
      samples: [{ histogram: m.fsyncDurationSeconds }],
    },
  ];
}

/** The per-queue families. */
function queueFamilies(queues: QueueMetrics[]): MetricFamily[] {
  const perQueue = (
    name: string,
    help: string,
    type: "gauge" | "counter",
    value: (q: QueueMetrics) => number,
  ): MetricFamily => ({
    name,
    help,
    type,
    samples: queues.map((q) => ({
      labels: { queue: q.name },
      value: value(q),
    })),
  });
  return [
    perQueue(
      "mrecordlog_queue_records",
      "Records the queue holds.",
      "gauge",
      (q) => q.records,
    ),
    perQueue(
      "mrecordlog_queue_bytes",
      "Payload bytes the queue holds.",
      "gauge",
      (q) => q.bytes,
    ),
    perQueue(
      "mrecordlog_queue_next_position",
      "The position the queue's next record gets.",
      "gauge",
      (q) => q.nextPosition,
    ),
    perQueue(
      "mrecordlog_records_appended_total",
      "Records appended to the queue since the log was opened.",
      "counter",
      (q) => q.recordsAppended,
    ),
  ];
}

/** The per-consumer families, labelled by queue and consumer. */
function consumerFamilies(queues: QueueMetrics[]): MetricFamily[] {
  const lag: ValueSample[] = [];
  const acked: ValueSample[] = [];
  for (const q of queues) {
    for (const c of q.consumers) {
      const labels = { queue: q.name, consumer: c.name };
      lag.push({ labels, value: c.lag });
      if (c.acked !== undefined) acked.push({ labels, value: c.acked });
    }
  }
  return [
    {
      name: "mrecordlog_consumer_lag_records",
      help: "Records the queue holds after the consumer's position.",
      type: "gauge",
      samples: lag,
    },
    {
      name: "mrecordlog_consumer_acked_position",
      help:
        "The last position the consumer acknowledged (absent until its first ack).",
      type: "gauge",
      samples: acked,
    },
  ];
}

/** The server's own families. */
function serverFamilies(context: MetricsContext): MetricFamily[] {
  return [
    ...context.http.families(),
    gauge(
      "mrecordlog_http_body_bytes",
      "Bytes of append bodies being received (counted against the memory limit too).",
      context.memory.heldBytes,
    ),
    gauge(
      "mrecordlog_http_read_streams",
      "Record streams (GET …/records) being sent.",
      context.openReadStreams,
    ),
  ];
}

/**
 * The families of the JetStream forwarders (`serve --forward`), labelled by
 * queue and stream; their lag is their consumer's
 * (`mrecordlog_consumer_lag_records`).
 */
export function forwarderFamilies(
  forwarders: readonly ForwarderStatusJson[],
): MetricFamily[] {
  if (forwarders.length === 0) return [];
  const family = (
    name: string,
    help: string,
    type: "gauge" | "counter",
    value: (f: ForwarderStatusJson) => number,
  ): MetricFamily => ({
    name,
    help,
    type,
    samples: forwarders.map((f) => ({
      labels: { queue: f.queue, stream: f.stream },
      value: value(f),
    })),
  });
  return [
    family(
      "mrecordlog_forwarder_connected",
      "1 while the forwarder is connected to NATS (and its stream checked), else 0.",
      "gauge",
      (f) => f.connected ? 1 : 0,
    ),
    family(
      "mrecordlog_forwarder_running",
      "1 while the forwarder runs, 0 once it stopped (its queue deleted).",
      "gauge",
      (f) => f.running ? 1 : 0,
    ),
    family(
      "mrecordlog_forwarder_in_flight_records",
      "Records published and awaiting their PubAck.",
      "gauge",
      (f) => f.inFlight,
    ),
    family(
      "mrecordlog_forwarder_records_forwarded_total",
      "Records the stream confirmed since the server started.",
      "counter",
      (f) => f.forwarded,
    ),
    family(
      "mrecordlog_forwarder_duplicates_total",
      "Publishes the stream answered as duplicates (records it held already).",
      "counter",
      (f) => f.duplicates,
    ),
  ];
}
