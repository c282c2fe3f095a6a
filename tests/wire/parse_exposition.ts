/**
 * Reading the Prometheus text format in tests: each line checked against the
 * format's grammar, then parsed by a real parser of the format
 * (`parse-prometheus-text-format`, ported from Prometheus' own Python
 * client; its output matches prom2json's).
 *
 * @module
 */

import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";

/** One family as the parser gives it. */
export interface ParsedFamily {
  name: string;
  help: string;
  type: string;
  metrics: {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    sum?: string;
    count?: string;
  }[];
}

/** `text` parsed by the real parser, after checking each line's grammar. */
export function parseExposition(text: string): ParsedFamily[] {
  assert.ok(text === "" || text.endsWith("\n"), "ends with a newline");
  const name = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  const value = String.raw`"(?:[^"\\\n]|\\[\\"n])*"`;
  const labels = String.raw`\{${name}=${value}(?:,${name}=${value})*\}`;
  const sample = new RegExp(
    String.raw`^${name}(?:${labels})? (?:[+-]?Inf|NaN|-?[0-9.e+-]+)$`,
  );
  const typed = new Set<string>();
  for (const line of text.split("\n").slice(0, -1)) {
    if (line.startsWith("# HELP ")) {
      assert.match(line, new RegExp(`^# HELP ${name} `), line);
    } else if (line.startsWith("# TYPE ")) {
      const match = new RegExp(`^# TYPE (${name}) (counter|gauge|histogram)$`)
        .exec(line);
      assert.ok(match, line);
      assert.ok(!typed.has(match[1]), `one TYPE line per family: ${line}`);
      typed.add(match[1]);
    } else {
      assert.match(line, sample);
      const family = line.replace(/[{ ].*$/, "")
        .replace(/_(bucket|sum|count)$/, "");
      assert.ok(
        typed.has(family) || typed.has(line.replace(/[{ ].*$/, "")),
        `a sample after its TYPE line: ${line}`,
      );
    }
  }
  return parsePrometheusTextFormat(text) as ParsedFamily[];
}
