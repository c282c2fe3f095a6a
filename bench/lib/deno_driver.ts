/**
 * The {@linkcode Driver} of the `deno bench` suites: each measurement is a
 * `Deno.bench` (timed between `b.start()` and `b.end()`), each report runs
 * when the bench file is done (`unload`).
 *
 * @module
 */

import type { Driver } from "./driver.ts";

/** Registers measurements with `Deno.bench`; reports run on `unload`. */
export const denoBenchDriver: Driver = {
  measure(spec, fn, into) {
    const figures: number[] = [];
    Deno.bench({
      name: spec.name,
      group: spec.group,
      baseline: spec.baseline ?? false,
      n: spec.iterations,
      warmup: 1,
      async fn(b) {
        const figure = await fn({
          start: () => b.start(),
          end: () => b.end(),
        });
        // Deno calls `fn` once or more (probe, warm-up) before the `n`
        // measured calls: only the last `n` figures are kept.
        figures.push(figure);
        into.splice(0, into.length, ...figures.slice(-spec.iterations));
      },
    });
    return Promise.resolve();
  },
  report(fn) {
    globalThis.addEventListener("unload", fn);
    return Promise.resolve();
  },
};
