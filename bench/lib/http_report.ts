/**
 * The HTTP ingest benchmark's report: the figures of each shape and
 * contender (medians over the rounds), the ratios of the project's server
 * to its baselines, server CPU per record against the library's, and the
 * targets of issue 18 marked met / not met.
 *
 * @module
 */

import {
  formatRatio,
  median,
  ratio,
  type TargetCheck,
  targetTable,
} from "./report.ts";
import {
  CONTENDER_LABELS,
  type ContenderId,
  contendersOf,
  type HttpShape,
} from "./http_shapes.ts";
import {
  figureKey,
  type HttpFigure,
  type HttpResults,
  libraryKey,
} from "./http_suite.ts";

/** The median figures of contender `c` on shape `s`, if measured. */
export function medianFigure(
  results: HttpResults,
  s: HttpShape,
  c: ContenderId,
): HttpFigure | undefined {
  const list = results.figures.get(figureKey(s, c));
  if (!list || list.length === 0) return undefined;
  return {
    requestsPerSecond: median(list.map((f) => f.requestsPerSecond)),
    cpuPerRequest: median(list.map((f) => f.cpuPerRequest)),
    failures: list.reduce((sum, f) => sum + f.failures, 0),
    latencyMean: median(list.map((f) => f.latencyMean)),
  };
}

function rps(
  results: HttpResults,
  s: HttpShape,
  c: ContenderId,
): number | undefined {
  return medianFigure(results, s, c)?.requestsPerSecond;
}

/** The write floor of a shape: with fdatasync for the fsync shapes. */
function floorOf(s: HttpShape): ContenderId {
  return s.durability === "flush" ? "write" : "write-fsync";
}

/** The library floor of a shape: the library's policy as the server's. */
function libraryFloorOf(s: HttpShape): ContenderId {
  return s.durability === "flush" ? "library-flush" : "library-fsync";
}

/** The SQLite of a shape: `NORMAL` for flush, `FULL` for fsync. */
function sqliteOf(s: HttpShape): ContenderId {
  return s.durability === "flush" ? "sqlite-normal" : "sqlite-full";
}

function num(value: number, digits = 0): string {
  return Number.isFinite(value)
    ? value.toLocaleString("en-US", {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    })
    : "-";
}

/** Every measured figure: one row per shape and contender. */
export function throughputTable(results: HttpResults): string {
  const lines = [
    "| shape | contender | req/s | records/s | MB/s | CPU µs/req | CPU µs/record | mean ms |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const s of results.shapes) {
    const refused = results.unsupported.get(s.id);
    if (refused !== undefined) {
      lines.push(
        `| ${s.id} | project | not supported yet (${
          refused.replaceAll("|", "\\|").slice(0, 80)
        }) | | | | | |`,
      );
      continue;
    }
    for (const c of contendersOf(s, true)) {
      const f = medianFigure(results, s, c);
      if (!f) continue;
      const records = f.requestsPerSecond * s.records;
      const mb = records * s.recordBytes / 1e6;
      const failed = f.failures > 0 ? ` (${f.failures} failed)` : "";
      lines.push(
        `| ${s.id} | ${CONTENDER_LABELS[c]} | ${
          num(f.requestsPerSecond)
        }${failed} | ${num(records)} | ${num(mb, 1)} | ${
          num(f.cpuPerRequest * 1e6)
        } | ${num(f.cpuPerRequest * 1e6 / s.records, 2)} | ${
          num(f.latencyMean, 2)
        } |`,
      );
    }
  }
  return lines.join("\n");
}

/** The project (both foundations) against its baselines, per shape. */
export function ratioTable(results: HttpResults): string {
  const lines = [
    "| shape | native / write floor | native / SQLite | native / null floor | native / library floor | library floor / write floor | node:http / write floor | node:http / SQLite | node:http / native | CPU/req: native / write floor | CPU/req: native / library floor | CPU/req: node:http / native |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const s of results.shapes) {
    if (results.unsupported.has(s.id)) continue;
    const serve = rps(results, s, "serve");
    const node = rps(results, s, "node-http");
    const floor = rps(results, s, floorOf(s));
    const sqlite = rps(results, s, sqliteOf(s));
    const library = rps(results, s, libraryFloorOf(s));
    const sqliteName = s.durability === "flush" ? "NORMAL" : "FULL";
    const floorName = s.durability === "flush" ? "" : " (fsync)";
    lines.push(
      `| ${s.id} | ${formatRatio(ratio(serve, floor))}${floorName} | ${
        formatRatio(ratio(serve, sqlite))
      } ${sqliteName} | ${
        formatRatio(ratio(serve, rps(results, s, "null")))
      } | ${formatRatio(ratio(serve, library))} | ${
        formatRatio(ratio(library, floor))
      } | ${formatRatio(ratio(node, floor))} | ${
        formatRatio(ratio(node, sqlite))
      } | ${formatRatio(ratio(node, serve))} | ${
        formatRatio(
          ratio(cpu(results, s, "serve"), cpu(results, s, floorOf(s))),
        )
      } | ${
        formatRatio(
          ratio(cpu(results, s, "serve"), cpu(results, s, libraryFloorOf(s))),
        )
      } | ${
        formatRatio(
          ratio(cpu(results, s, "node-http"), cpu(results, s, "serve")),
        )
      } |`,
    );
  }
  return lines.join("\n");
}

function cpu(
  results: HttpResults,
  s: HttpShape,
  c: ContenderId,
): number | undefined {
  return medianFigure(results, s, c)?.cpuPerRequest;
}

/**
 * The server now against the baseline tree's (`BENCH_HTTP_BASELINE`), each
 * against the floors of the same run; `undefined` if it did not run.
 */
export function baselineTable(results: HttpResults): string | undefined {
  const lines = [
    "| shape | baseline / write floor | native / write floor | baseline / SQLite | native / SQLite | native / baseline | CPU µs/req baseline → native |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const s of results.shapes) {
    const base = medianFigure(results, s, "serve-base");
    const serve = medianFigure(results, s, "serve");
    if (base === undefined || serve === undefined) continue;
    const floor = rps(results, s, floorOf(s));
    const sqlite = rps(results, s, sqliteOf(s));
    lines.push(
      `| ${s.id} | ${formatRatio(ratio(base.requestsPerSecond, floor))} | ${
        formatRatio(ratio(serve.requestsPerSecond, floor))
      } | ${formatRatio(ratio(base.requestsPerSecond, sqlite))} | ${
        formatRatio(ratio(serve.requestsPerSecond, sqlite))
      } | ${
        formatRatio(ratio(serve.requestsPerSecond, base.requestsPerSecond))
      } | ${num(base.cpuPerRequest * 1e6)} → ${
        num(serve.cpuPerRequest * 1e6)
      } |`,
    );
  }
  return lines.length > 2 ? lines.join("\n") : undefined;
}

/** Server CPU per record of the flush NDJSON shapes against the library's. */
export function cpuTable(results: HttpResults): string {
  const lines = [
    "| shape | library µs/record | native µs/record | native / library | node:http µs/record | node:http / library | null floor µs/request |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const s of results.shapes) {
    const library = libraryCpu(results, s);
    if (library === undefined) continue;
    const serve = cpuPerRecord(results, s, "serve");
    const node = cpuPerRecord(results, s, "node-http");
    const nul = medianFigure(results, s, "null")?.cpuPerRequest;
    lines.push(
      `| ${s.id} | ${num(library * 1e6, 2)} | ${
        num((serve ?? NaN) * 1e6, 2)
      } | ${formatRatio(ratio(serve, library))} | ${
        num((node ?? NaN) * 1e6, 2)
      } | ${formatRatio(ratio(node, library))} | ${num((nul ?? NaN) * 1e6)} |`,
    );
  }
  return lines.join("\n");
}

function libraryCpu(results: HttpResults, s: HttpShape): number | undefined {
  if (s.durability !== "flush" || s.body !== "ndjson") return undefined;
  const values = results.libraryCpu.get(libraryKey(s));
  return values && values.length > 0 ? median(values) : undefined;
}

function cpuPerRecord(
  results: HttpResults,
  s: HttpShape,
  c: ContenderId,
): number | undefined {
  const f = medianFigure(results, s, c);
  return f === undefined ? undefined : f.cpuPerRequest / s.records;
}

/**
 * The targets of issue 18, for the project on both foundations, and for the
 * library floor: the same targets met by the least server on this
 * runtime's HTTP server and this library, which bounds what the project's
 * server can reach.
 */
export function httpTargets(results: HttpResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const foundations: [(s: HttpShape) => ContenderId, string][] = [
    [() => "serve", "native"],
    [() => "node-http", "node:http"],
    [libraryFloorOf, "bound, library floor"],
  ];
  for (const [contender, label] of foundations) {
    for (const s of results.shapes) {
      if (s.body !== "ndjson") continue;
      const c = contender(s);
      const project = rps(results, s, c);
      const floor = rps(results, s, floorOf(s));
      const sqlite = rps(results, s, sqliteOf(s));
      const add = (what: string, measured: number | undefined, goal: number) =>
        checks.push({
          name: `${label}: ${s.id}, ${what}`,
          measured,
          goal,
          direction: ">=",
        });
      if (s.durability === "flush" && s.records === 1) {
        add("/ write floor", ratio(project, floor), 0.6);
        add("/ SQLite NORMAL", ratio(project, sqlite), 1.5);
      } else if (s.durability === "flush" && s.recordBytes === 256) {
        add("/ write floor", ratio(project, floor), 0.5);
        add("/ SQLite NORMAL", ratio(project, sqlite), 2);
      } else if (s.durability === "flush") {
        add("/ write floor (MB/s)", ratio(project, floor), 0.7);
      } else {
        add("/ fsync floor", ratio(project, floor), 1.5);
        add("/ SQLite FULL", ratio(project, sqlite), 2);
      }
      const library = libraryCpu(results, s);
      if (library !== undefined && s.records > 1 && s.connections === 1) {
        checks.push({
          name: `${label}: ${s.id}, server CPU per record / library's`,
          measured: ratio(cpuPerRecord(results, s, c), library),
          goal: 3,
          direction: "<=",
        });
      }
    }
  }
  return checks;
}

/** The whole report's parts (tables and notes), for `formatReport`. */
export function httpReportParts(results: HttpResults): string[] {
  const parts = [
    "Figures (medians over the rounds; MB/s of record payload, 10^6 B):",
    throughputTable(results),
    "Ratios (requests/s = records/s = MB/s ratios within a shape; the last two: server CPU time per request, steadier than throughput on a shared machine):",
    ratioTable(results),
    "Server CPU per record (/proc utime+stime of the server process) against the library's own appendRecords in one process, same batch, always/flush, awaited:",
    cpuTable(results),
    "Targets (issue 18):",
    targetTable(httpTargets(results)),
  ];
  const baseline = baselineTable(results);
  if (baseline !== undefined) {
    parts.push(
      "The project's server against the baseline tree's (BENCH_HTTP_BASELINE), in the same run:",
      baseline,
    );
  }
  for (const [id, answer] of results.unsupported) {
    parts.push(`${id}: not supported yet by the project's server (${answer})`);
  }
  if (results.notes.length > 0) {
    parts.push(
      ["Notes (the figures count 2xx answers only):", ...results.notes]
        .join("\n"),
    );
  }
  return parts;
}
