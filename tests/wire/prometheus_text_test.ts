import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  escapeLabelValue,
  type MetricFamily,
  PROMETHEUS_CONTENT_TYPE,
  prometheusText,
} from "../../src/wire/prometheus_text.ts";
import { DurationHistogram } from "../../src/log/log_metrics.ts";
import { parseExposition } from "./parse_exposition.ts";

describe("the Prometheus text format", () => {
  test("counters and gauges: HELP and TYPE lines, labels, values; a family without samples is left out", () => {
    const families: MetricFamily[] = [
      {
        name: "x_bytes",
        help: "Some bytes.",
        type: "gauge",
        samples: [{ value: 12 }],
      },
      {
        name: "x_total",
        help: "Counted.",
        type: "counter",
        samples: [
          { labels: { queue: "a", op: "append" }, value: 3 },
          { labels: { queue: "b", op: "gc" }, value: 0.5 },
        ],
      },
      { name: "x_empty", help: "none", type: "gauge", samples: [] },
    ];
    const text = prometheusText(families);
    assert.equal(
      text,
      [
        "# HELP x_bytes Some bytes.",
        "# TYPE x_bytes gauge",
        "x_bytes 12",
        "# HELP x_total Counted.",
        "# TYPE x_total counter",
        'x_total{queue="a",op="append"} 3',
        'x_total{queue="b",op="gc"} 0.5',
        "",
      ].join("\n"),
    );
    const parsed = parseExposition(text);
    assert.deepEqual(parsed.map((f) => [f.name, f.type]), [
      ["x_bytes", "GAUGE"],
      ["x_total", "COUNTER"],
    ]);
    assert.deepEqual(parsed[1].metrics[1], {
      value: "0.5",
      labels: { queue: "b", op: "gc" },
    });
    assert.equal(prometheusText([]), "");
    assert.match(PROMETHEUS_CONTENT_TYPE, /^text\/plain; version=0\.0\.4/);
  });

  test("label values and help texts are escaped: the parser reads back what was given", () => {
    const awkward = 'a\\b"c\nd/é\u0000{}=,';
    const help = "line one\nline two \\ backslash";
    const text = prometheusText([
      {
        name: "y",
        help,
        type: "gauge",
        samples: [{ labels: { queue: awkward }, value: 1 }],
      },
    ]);
    assert.equal(text.split("\n").length, 4, "no raw newline inside a line");
    const [family] = parseExposition(text);
    assert.equal(family.help, help);
    assert.equal(family.metrics[0].labels!.queue, awkward);
    assert.equal(escapeLabelValue('\\"\n'), '\\\\\\"\\n');
  });

  test("histograms: cumulative _bucket lines with le up to +Inf, then _sum and _count", () => {
    const histogram = new DurationHistogram();
    histogram.observe(0.00005);
    histogram.observe(0.003, 2);
    histogram.observe(42);
    const text = prometheusText([
      {
        name: "z_seconds",
        help: "Durations.",
        type: "histogram",
        samples: [{ histogram: histogram.snapshot() }],
      },
      {
        name: "w_seconds",
        help: "Empty.",
        type: "histogram",
        samples: [{
          histogram: {
            buckets: [{ le: Infinity, count: 0 }],
            sum: 0,
            count: 0,
          },
        }],
      },
    ]);
    assert.match(text, /^z_seconds_bucket\{le="0\.0001"\} 1$/m);
    assert.match(text, /^z_seconds_bucket\{le="0\.0025"\} 1$/m);
    assert.match(text, /^z_seconds_bucket\{le="0\.005"\} 3$/m);
    assert.match(text, /^z_seconds_bucket\{le="10"\} 3$/m);
    assert.match(text, /^z_seconds_bucket\{le="\+Inf"\} 4$/m);
    assert.match(text, /^w_seconds_bucket\{le="\+Inf"\} 0$/m);
    const [z, w] = parseExposition(text);
    assert.equal(z.type, "HISTOGRAM");
    // The parser gives buckets as an object: "1", "5", "10" come first.
    const bound = (le: string): number => le === "+Inf" ? Infinity : Number(le);
    const buckets = Object.entries(z.metrics[0].buckets!)
      .sort(([a], [b]) => bound(a) - bound(b));
    assert.equal(buckets.length, 17);
    assert.deepEqual(buckets.at(-1), ["+Inf", "4"]);
    let previous = 0;
    for (const [, count] of buckets) {
      assert.ok(Number(count) >= previous, "cumulative");
      previous = Number(count);
    }
    assert.equal(Number(z.metrics[0].count), 4);
    assert.ok(Math.abs(Number(z.metrics[0].sum) - 42.00605) < 1e-9);
    assert.deepEqual(w.metrics[0], {
      buckets: { "+Inf": "0" },
      sum: "0",
      count: "0",
    });
  });

  test("special values", () => {
    const text = prometheusText([
      {
        name: "v",
        help: "h",
        type: "gauge",
        samples: [
          { labels: { k: "inf" }, value: Infinity },
          { labels: { k: "minus" }, value: -Infinity },
          { labels: { k: "nan" }, value: NaN },
          { labels: { k: "big" }, value: 2 ** 53 - 1 },
        ],
      },
    ]);
    const values = parseExposition(text)[0].metrics.map((m) => m.value);
    assert.deepEqual(values, ["+Inf", "-Inf", "NaN", "9007199254740991"]);
  });
});
