/**
 * What every report of the benchmarks is made of: the figures of a run and
 * their medians, ratios, tables of figures, and the targets of issue 4
 * marked met or not met.
 *
 * @module
 */

import { cpus } from "node:os";

/** The median of `values` (`NaN` if empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The figures (records/s or seconds) measured in one run, by key. */
export class Results {
  #figures = new Map<string, number[]>();

  /** The list the figures of `key` go to (created empty). */
  values(key: string): number[] {
    let values = this.#figures.get(key);
    if (!values) this.#figures.set(key, values = []);
    return values;
  }

  /** The median figure of `key`, or `undefined` if not measured. */
  median(key: string | undefined): number | undefined {
    const values = key === undefined ? undefined : this.#figures.get(key);
    return values && values.length > 0 ? median(values) : undefined;
  }

  /** Each key and its figures, one line each (`BENCH_VERBOSE=1`). */
  dump(): string {
    return [...this.#figures].map(([key, values]) =>
      `${key}: ${values.map((v) => Number(v.toPrecision(4))).join(" ")}`
    ).join("\n");
  }
}

/** `a / b`, or `undefined` if either is missing. */
export function ratio(
  a: number | undefined,
  b: number | undefined,
): number | undefined {
  return a === undefined || b === undefined ? undefined : a / b;
}

/** `12.3x`, `0.45x`, or `-` when missing. */
export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return "-";
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}x`;
}

/** `512 MiB`. */
export function formatMiB(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(0)} MiB`;
}

/** A table of ratios: one row per `[figure, ratio, detail]`. */
export function figureTable(
  rows: readonly [string, number | undefined, string][],
): string {
  return [
    "| figure | ratio | detail |",
    "| --- | ---: | --- |",
    ...rows.map(([name, value, detail]) =>
      `| ${name} | ${formatRatio(value)} | ${detail} |`
    ),
  ].join("\n");
}

/** One target: a ratio that must be at least (or at most) `goal`. */
export interface TargetCheck {
  /** What is compared. */
  name: string;
  /** The measured ratio, or `undefined` if not measured in this run. */
  measured: number | undefined;
  /** The bound. */
  goal: number;
  /** `">="`: at least the goal; `"<="`: at most. */
  direction: ">=" | "<=";
}

/** The targets as a table with a met / not met verdict each. */
export function targetTable(checks: readonly TargetCheck[]): string {
  const lines = [
    "| target | measured | goal | verdict |",
    "| --- | ---: | ---: | --- |",
  ];
  for (const c of checks) {
    const verdict = c.measured === undefined
      ? "not measured"
      : (c.direction === ">=" ? c.measured >= c.goal : c.measured <= c.goal)
      ? "met"
      : "NOT MET";
    const measured = c.measured === undefined
      ? "-"
      // Three decimals near 1, so that a miss never prints as the goal.
      : c.measured < 10
      ? `${c.measured.toFixed(3)}x`
      : formatRatio(c.measured);
    lines.push(
      `| ${c.name} | ${measured} | ${c.direction} ${
        formatRatio(c.goal)
      } | ${verdict} |`,
    );
  }
  return lines.join("\n");
}

/**
 * A report: a header naming the title, runtime, machine and date, then
 * `parts` (tables, notes) separated by blank lines.
 */
export function formatReport(
  title: string,
  runtime: string,
  parts: readonly string[],
): string {
  const cpuList = cpus();
  const model = cpuList[0]?.model?.trim() ?? "unknown CPU";
  const date = new Date().toISOString().slice(0, 10);
  const header = `${runtime}; ${cpuList.length} vCPU (${model}); ${date}`;
  return `\n## ${title}\n\n${[header, ...parts].join("\n\n")}\n`;
}
