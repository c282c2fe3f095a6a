/**
 * The HTTP ingest benchmark (issue 18): for each request shape, each
 * contender — the project's server (`cli.ts serve`, on the runtime's native
 * server, and the same handler on `node:http` through srvx), the null
 * floor, the write floor (with fdatasync for the fsync shapes), SQLite —
 * started in its own process of the same runtime, warmed up, then loaded
 * by autocannon (Node.js, its own process) for a few seconds; contenders
 * interleaved, in rounds; the server's CPU time read from `/proc`.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { libraryCpuPerRecord } from "./http_library_cpu.ts";
import {
  type LoadGenerator,
  type ServerProcess,
  startLoadGenerator,
  startServer,
} from "./http_process.ts";
import {
  CONTENDER_LABELS,
  type ContenderId,
  contendersOf,
  HTTP_SHAPES,
  type HttpShape,
  isProject,
  runtimeCommand,
  serverCommand,
  type ServerTrees,
  type ShapeBody,
  shapeBody,
} from "./http_shapes.ts";

/** How long and how often (environment variables). */
export interface HttpBenchConfig {
  /** Measured seconds per run (`BENCH_HTTP_SECONDS`; 2, quick 1). */
  seconds: number;
  /** Warm-up seconds before each measured run (1, quick 0.5). */
  warmupSeconds: number;
  /** Rounds over every shape and contender (`BENCH_HTTP_ROUNDS`; 3, quick 1). */
  rounds: number;
  /** Only shapes whose id contains this (`BENCH_FILTER`). */
  filter: string | undefined;
  /** Where temporary directories go (`BENCH_TMPDIR`). */
  tmp: string;
  /** The Node.js that runs autocannon (`BENCH_NODE`; `node`). */
  node: string;
  /**
   * The tree whose `cli.ts` and handler are the project's server
   * (`BENCH_HTTP_PROJECT`, e.g. an earlier commit's `git archive`, to
   * compare; default: this repository).
   */
  project: string | undefined;
  /**
   * Another tree whose `cli.ts serve` runs as one more contender
   * (`BENCH_HTTP_BASELINE`, e.g. the commit before a change), so that a run
   * compares the server before and after it.
   */
  baseline: string | undefined;
  /**
   * Only these contenders (`BENCH_HTTP_ONLY`, comma-separated ids: `serve`,
   * `node-http`, `serve-base`, `null`, `write`, `write-fsync`,
   * `sqlite-normal`, `sqlite-full`); all if unset.
   */
  only: Set<string> | undefined;
}

/** The configuration from the environment. */
export function httpBenchConfig(): HttpBenchConfig {
  const env = process.env;
  const quick = env.BENCH_QUICK === "1";
  return {
    seconds: Number(env.BENCH_HTTP_SECONDS ?? (quick ? 1 : 2)),
    warmupSeconds: quick ? 0.5 : 1,
    rounds: Number(env.BENCH_HTTP_ROUNDS ?? (quick ? 1 : 3)),
    filter: env.BENCH_FILTER,
    tmp: env.BENCH_TMPDIR ?? tmpdir(),
    node: env.BENCH_NODE ?? "node",
    project: env.BENCH_HTTP_PROJECT,
    baseline: env.BENCH_HTTP_BASELINE,
    only: env.BENCH_HTTP_ONLY === undefined
      ? undefined
      : new Set(env.BENCH_HTTP_ONLY.split(",").map((id) => id.trim())),
  };
}

/** One measured run. */
export interface HttpFigure {
  /** 2xx answers per second. */
  requestsPerSecond: number;
  /** Server CPU seconds per answered request. */
  cpuPerRequest: number;
  /** Non-2xx answers, connection errors and timeouts. */
  failures: number;
  /** Mean latency, ms. */
  latencyMean: number;
}

/** Everything a run measured. */
export interface HttpResults {
  /** The shapes measured (in order). */
  shapes: HttpShape[];
  /** Shapes the project's server refused at the probe, and its answer. */
  unsupported: Map<string, string>;
  /** Figures by `shape id|contender`. */
  figures: Map<string, HttpFigure[]>;
  /** Library CPU seconds per record, by `records x recordBytes`. */
  libraryCpu: Map<string, number[]>;
  /** Problems seen (non-2xx answers, …), one line each. */
  notes: string[];
  /** Figures not measured again: the baseline tree refused the shape. */
  refused: Set<string>;
  /** Where the servers came from. */
  trees?: ServerTrees;
}

/** The key of a library CPU figure. */
export function libraryKey(s: HttpShape): string {
  return `${s.records}x${s.recordBytes}`;
}

/** One shape per batch size and record size of the flush NDJSON shapes. */
function libraryShapes(shapes: readonly HttpShape[]): HttpShape[] {
  const seen = new Map<string, HttpShape>();
  for (const s of shapes) {
    if (s.durability === "flush" && s.body === "ndjson") {
      if (!seen.has(libraryKey(s))) seen.set(libraryKey(s), s);
    }
  }
  return [...seen.values()];
}

/** The key of a figure. */
export function figureKey(s: HttpShape, c: ContenderId): string {
  return `${s.id}|${c}`;
}

const QUEUE_PATH = "/queues/bench/records";

/** Runs the benchmark from `root` (the repository), printing progress on stderr. */
export async function httpSuite(
  config: HttpBenchConfig,
  root: string,
): Promise<HttpResults> {
  const shapes = HTTP_SHAPES.filter((s) =>
    config.filter === undefined || s.id.includes(config.filter)
  );
  const results: HttpResults = {
    shapes,
    unsupported: new Map(),
    figures: new Map(),
    libraryCpu: new Map(),
    notes: [],
    refused: new Set(),
  };
  mkdirSync(config.tmp, { recursive: true });
  const work = mkdtempSync(`${config.tmp}/http-bench-`);
  const load = startLoadGenerator(
    config.node,
    `${root}/bench/lib/http_load.mjs`,
  );
  try {
    const bodies = shapes.map((s, i) => shapeBody(s, work, i));
    const project = config.project ?? root;
    const trees: ServerTrees = {
      root,
      project,
      projectServerFlag: hasServerFlag(project),
      baseline: config.baseline,
    };
    results.trees = trees;
    for (let round = 1; round <= config.rounds; round++) {
      for (const s of libraryShapes(shapes)) {
        const values = results.libraryCpu.get(libraryKey(s)) ?? [];
        values.push(
          await libraryCpuPerRecord(
            s.records,
            s.recordBytes,
            Math.min(config.seconds, 1),
            work,
          ),
        );
        results.libraryCpu.set(libraryKey(s), values);
      }
      for (const [i, s] of shapes.entries()) {
        if (results.unsupported.has(s.id)) continue;
        for (const c of contendersOf(s, config.baseline !== undefined)) {
          if (results.unsupported.has(s.id)) break;
          if (results.refused.has(figureKey(s, c))) continue;
          if (config.only !== undefined && !config.only.has(c)) continue;
          let figure: HttpFigure | undefined;
          try {
            figure = await measure(
              config,
              trees,
              load,
              work,
              s,
              c,
              bodies[i],
              results,
            );
          } catch (error) {
            // A server that did not start or answer (a tree being edited):
            // said in the notes, the run goes on.
            const message = String((error as Error)?.message ?? error)
              .replace(/\s+/g, " ");
            results.notes.push(
              `${s.id} ${CONTENDER_LABELS[c]}: ${message.slice(0, 400)}`,
            );
            console.error(`${s.id} ${CONTENDER_LABELS[c]}: ${message}`);
            continue;
          }
          if (figure === undefined) continue;
          const key = figureKey(s, c);
          const list = results.figures.get(key) ?? [];
          list.push(figure);
          results.figures.set(key, list);
          console.error(
            `round ${round}/${config.rounds} ${s.id} ${CONTENDER_LABELS[c]}: ${
              figure.requestsPerSecond.toFixed(0)
            } req/s, ${(figure.cpuPerRequest * 1e6).toFixed(0)} µs CPU/req${
              figure.failures ? `, ${figure.failures} failures` : ""
            }`,
          );
        }
      }
    }
  } finally {
    await load.close();
    rmSync(work, { recursive: true, force: true });
  }
  return results;
}

/** Starts contender `c`, probes it, warms it up, measures one run. */
async function measure(
  config: HttpBenchConfig,
  trees: ServerTrees,
  load: LoadGenerator,
  work: string,
  s: HttpShape,
  c: ContenderId,
  body: ShapeBody,
  results: HttpResults,
): Promise<HttpFigure | undefined> {
  const dir = mkdtempSync(`${work}/server-`);
  const server = await startServer(
    serverCommand(c, s, dir, trees),
  );
  try {
    const url = `${server.url}${QUEUE_PATH}`;
    if (isProject(c)) await createQueue(server);
    const probe = await fetch(url, {
      method: "POST",
      headers: body.headers,
      body: body.bytes,
    });
    const answer = await probe.text();
    const stored = isProject(c) && probe.ok
      ? (JSON.parse(answer) as { count?: number }).count
      : s.records;
    const problem = !probe.ok
      ? `${probe.status} ${answer.slice(0, 160)}`
      : stored !== s.records
      ? `stored ${stored} records of ${s.records}: ${answer.slice(0, 160)}`
      : undefined;
    if (problem !== undefined) {
      if (c === "serve-base") {
        results.notes.push(
          `${s.id} baseline tree: ${problem.replace(/\s+/g, " ")}`,
        );
        results.refused.add(figureKey(s, c));
        return undefined;
      }
      if (isProject(c) && s.body !== "ndjson") {
        results.unsupported.set(s.id, problem.replace(/\s+/g, " "));
        console.error(`${s.id}: not supported yet (${problem})`);
        return undefined;
      }
      throw new Error(
        `${
          CONTENDER_LABELS[c]
        } answered the probe of ${s.id}: ${problem}\n${server.stderr()}`,
      );
    }
    const command = {
      url,
      connections: s.connections,
      bodyPath: body.path,
      headers: body.headers,
    };
    await load.run({ ...command, seconds: config.warmupSeconds });
    const cpuBefore = server.cpuSeconds();
    const result = await load.run({ ...command, seconds: config.seconds });
    const cpu = server.cpuSeconds() - cpuBefore;
    const failures = result.non2xx + result.errors + result.timeouts;
    if (failures > 0) {
      results.notes.push(
        `${s.id} ${
          CONTENDER_LABELS[c]
        }: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts (status codes ${
          JSON.stringify(result.statusCodes)
        }); stderr: ${server.stderr().slice(-300).replace(/\s+/g, " ")}`,
      );
    }
    const answered = result.ok2xx + result.non2xx;
    return {
      requestsPerSecond: result.ok2xx / result.seconds,
      cpuPerRequest: answered > 0 ? cpu / answered : NaN,
      failures,
      latencyMean: result.latencyMean,
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether `tree`'s `serve` takes `--server native|node`. */
function hasServerFlag(tree: string): boolean {
  const [command, ...args] = runtimeCommand(`${tree}/cli.ts`);
  const help = spawnSync(command, [...args, "serve", "--help"], {
    encoding: "utf8",
  });
  return /--server\b/.test(`${help.stdout}${help.stderr}`);
}

async function createQueue(server: ServerProcess): Promise<void> {
  const response = await fetch(`${server.url}/queues/bench`, {
    method: "POST",
  });
  await response.body?.cancel();
  if (response.status !== 201 && response.status !== 409) {
    throw new Error(`creating the queue: ${response.status}`);
  }
}
