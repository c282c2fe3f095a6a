/**
 * How a suite's measurements are run: registered with `deno bench`
 * (`deno_driver.ts`) or run at once in a loop (the Bun runner). The suites
 * (`append_suite.ts`, `recovery_suite.ts`) are written once against
 * {@linkcode Driver}.
 *
 * @module
 */

import process from "node:process";

/** Called around the timed part of an iteration (`deno bench`'s `b.start()`/`b.end()`). */
export interface TimingHooks {
  /** Just before the timed part. */
  start(): void;
  /** Just after it. */
  end(): void;
}

/** One measured figure. */
export interface BenchSpec {
  /** The group (a workload); `deno bench` compares the benches of a group. */
  group: string;
  /** The contender's name within the group. */
  name: string;
  /** The group's baseline. */
  baseline?: boolean;
  /** Measured iterations; one warm-up iteration more is run first and discarded. */
  iterations: number;
}

/**
 * One iteration: runs the timed part between `hooks.start()` and
 * `hooks.end()` and returns its figure (records/s or seconds).
 */
export type Iteration = (hooks: TimingHooks) => number | Promise<number>;

/** Runs measurements and, once they are all done, the reports. */
export interface Driver {
  /**
   * Runs `fn` once to warm up, then `spec.iterations` times, pushing each
   * measured figure to `into`; `into` is complete when the reports run.
   */
  measure(spec: BenchSpec, fn: Iteration, into: number[]): Promise<void>;
  /** Runs `fn` once every measurement is done. */
  report(fn: () => void): Promise<void>;
}

const noHooks: TimingHooks = { start() {}, end() {} };

/**
 * A driver that runs each measurement at once, one iteration after the other,
 * and each report at once; it prints each new group to stderr with the
 * seconds elapsed.
 */
export function loopDriver(): Driver {
  const started = performance.now();
  let group: string | undefined;
  return {
    async measure(spec, fn, into) {
      if (spec.group !== group) {
        group = spec.group;
        const elapsed = (performance.now() - started) / 1000;
        process.stderr.write(`  ${group} (${elapsed.toFixed(0)} s)\n`);
      }
      for (let i = 0; i <= spec.iterations; i++) {
        const figure = await fn(noHooks);
        if (i > 0) into.push(figure);
      }
    },
    report(fn) {
      fn();
      return Promise.resolve();
    },
  };
}
