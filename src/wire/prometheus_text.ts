/**
 * The Prometheus text exposition format, version 0.0.4: metric families
 * (counters, gauges, histograms) as `# HELP` and `# TYPE` lines followed by
 * their samples. What the server's `GET /metrics` answers.
 *
 * @module
 */

import type { HistogramSnapshot } from "../log/log_metrics.ts";

/** The `Content-Type` of the format. */
export const PROMETHEUS_CONTENT_TYPE =
  "text/plain; version=0.0.4; charset=utf-8";

/** Label names and values of a sample. */
export type Labels = Record<string, string>;

/** A counter or gauge sample. */
export interface ValueSample {
  /** The sample's labels (none if absent). */
  labels?: Labels;
  /** Its value. */
  value: number;
}

/** A histogram sample (without labels: `le` is its buckets' only one). */
export interface HistogramSample {
  /** Its buckets, sum and count. */
  histogram: HistogramSnapshot;
}

/** A metric family: samples of one name, type and help text. */
export type MetricFamily =
  | {
    /** The name (`_total` included for a counter). */
    name: string;
    /** What it measures. */
    help: string;
    /** Its type. */
    type: "counter" | "gauge";
    /** Its samples. */
    samples: ValueSample[];
  }
  | {
    /** The name (`_bucket`, `_sum` and `_count` are added). */
    name: string;
    /** What it measures. */
    help: string;
    /** Its type. */
    type: "histogram";
    /** Its samples. */
    samples: HistogramSample[];
  };

/**
 * `families` in the text format, one after the other; a family without
 * samples is left out. Label values are escaped as the format says
 * (backslash, double quote, newline), help texts too (backslash, newline).
 */
export function prometheusText(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (family.samples.length === 0) continue;
    const { name } = family;
    lines.push(`# HELP ${name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${name} ${family.type}`);
    if (family.type === "histogram") {
      for (const { histogram } of family.samples) {
        for (const { le, count } of histogram.buckets) {
          const bound = le === Infinity ? "+Inf" : formatNumber(le);
          lines.push(sampleLine(`${name}_bucket`, { le: bound }, count));
        }
        lines.push(sampleLine(`${name}_sum`, {}, histogram.sum));
        lines.push(sampleLine(`${name}_count`, {}, histogram.count));
      }
    } else {
      for (const { labels = {}, value } of family.samples) {
        lines.push(sampleLine(name, labels, value));
      }
    }
  }
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}

function sampleLine(name: string, labels: Labels, value: number): string {
  const pairs = Object.entries(labels)
    .map(([key, text]) => `${key}="${escapeLabelValue(text)}"`);
  const set = pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
  return `${name}${set} ${formatNumber(value)}`;
}

/** A label value with `\`, `"` and newlines escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`);
}

function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => c === "\n" ? "\\n" : "\\\\");
}

/** A sample value: `+Inf`, `-Inf`, `NaN`, or the number as JavaScript writes it. */
function formatNumber(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return Number.isNaN(value) ? "NaN" : String(value);
}
