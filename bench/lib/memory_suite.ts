/**
 * The memory benchmark of issue 4, for any runtime: a fresh child process
 * (`probe.ts fill`) retains `memoryBytes` of 256 B records and reports
 * `resourceUsage()` and its RSS, printed as ratios to the payload with the
 * targets. Not a timing benchmark.
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import type { Backend } from "./backend.ts";
import { runProbe } from "./probe.ts";
import {
  figureTable,
  formatMiB,
  formatReport,
  type TargetCheck,
  targetTable,
} from "./report.ts";
import { type BenchConfig, formatBytes } from "./workloads.ts";

/** Runs the probe and prints the memory figures and targets. */
export function memorySuite(backend: Backend, config: BenchConfig): void {
  const dir = mkdtempSync(`${config.tmpRoot}/mrecordlog-memory-`);
  try {
    const p = runProbe(backend, ["fill", dir, String(config.memoryBytes)]);
    const r = p.retainedBytes;
    const growth = (p.rssAfterBytes - p.rssBeforeBytes) / r;
    const goal = (name: string, measured: number): TargetCheck => ({
      name: `memory: ${name} vs payload`,
      measured,
      goal: 1.15,
      direction: "<=",
    });
    console.log(formatReport("Memory", backend.runtime, [
      `Retaining ${
        formatBytes(r)
      } of 256 B records (${p.records} records, appended 256 per append, one queue; fresh child process, after a full GC).`,
      figureTable([
        [
          "resourceUsage().memoryUsedBytes / payload",
          p.memoryUsedBytes / r,
          formatMiB(p.memoryUsedBytes),
        ],
        [
          "resourceUsage().memoryAllocatedBytes / payload",
          p.memoryAllocatedBytes / r,
          formatMiB(p.memoryAllocatedBytes),
        ],
        [
          "process RSS growth (after - before the log) / payload",
          growth,
          `${formatMiB(p.rssBeforeBytes)} before, ${
            formatMiB(p.rssAfterBytes)
          } after`,
        ],
        [
          "process RSS (whole process) / payload",
          p.rssAfterBytes / r,
          "includes the runtime's own memory",
        ],
        [
          "peak RSS while appending / payload",
          p.peakRssBytes / r,
          formatMiB(p.peakRssBytes),
        ],
      ]),
      targetTable([
        goal(
          "resourceUsage() memoryAllocatedBytes",
          p.memoryAllocatedBytes / r,
        ),
        goal("process RSS growth", growth),
        goal("process RSS (whole process)", p.rssAfterBytes / r),
      ]),
    ]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
