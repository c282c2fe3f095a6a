/**
 * The layout by layer, checked: every module under `src/` imports only from
 * its own folder or from folders below it, `mod.ts` (the library) never
 * imports a tool, and no module imports itself back through a cycle.
 *
 * @module
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, it } from "node:test";

const ROOT = normalize(join(new URL(".", import.meta.url).pathname, ".."));

/** Folders of `src/`, lowest layer first; `""` is `src/` itself. */
const LAYERS: Record<string, number> = {
  "": 0, // errors.ts, arguments.ts, log_record.ts: shared by every layer
  format: 1,
  storage: 2,
  streams: 3,
  testing: 3,
  log: 4,
  wire: 5,
  jetstream: 6,
  server: 7,
  cli: 8,
};
const LIBRARY_TOP = LAYERS.log;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith(".ts")
      ? [join(dir, e.name)]
      : []
  );
}

/**
 * The repository-relative paths a module imports (static and dynamic); with
 * `values`, only the imports that load the module at run time (not
 * `import type`).
 */
function importsOf(file: string, values = false): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const found: string[] = [];
  const pattern =
    /(?:^import|^export|\bimport\s*\()([^;]*?)["'](\.{1,2}\/[^"']+\.ts)["']/gms;
  for (const match of text.matchAll(pattern)) {
    if (values && /^\s*type\b/.test(match[1])) continue;
    found.push(normalize(join(dirname(file), match[2])));
  }
  return found;
}

/** The layer folder of `src/...`, or `undefined` outside `src/`. */
function layerOf(file: string): string | undefined {
  const parts = relative("src", file).split("/");
  if (parts[0] === ".." || file.startsWith("..")) return undefined;
  if (!file.startsWith("src/")) return undefined;
  return parts.length === 1 ? "" : parts[0];
}

describe("layout", () => {
  const files = sourceFiles("src");

  it("every folder of src/ has a layer", () => {
    for (const file of files) {
      const layer = layerOf(file)!;
      assert.ok(layer in LAYERS, `${file}: folder ${layer} has no layer`);
    }
  });

  it("modules import only from their folder or the layers below", () => {
    const wrong: string[] = [];
    for (const file of files) {
      const from = layerOf(file)!;
      for (const target of importsOf(file)) {
        const to = layerOf(target);
        if (to === undefined) {
          wrong.push(`${file} imports ${target}, outside src/`);
        } else if (to !== from && LAYERS[to] >= LAYERS[from]) {
          wrong.push(`${file} (${from || "src"}) imports ${target} (${to})`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("the library's entry point imports no tool", () => {
    for (const target of importsOf("mod.ts")) {
      const layer = layerOf(target);
      assert.ok(
        layer !== undefined && LAYERS[layer] <= LIBRARY_TOP,
        `mod.ts imports ${target}`,
      );
    }
  });

  it("no import cycle between modules (at run time)", () => {
    const graph = new Map(files.map((f) => [f, importsOf(f, true)]));
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        cycles.push([...path.slice(path.indexOf(file)), file].join(" -> "));
        return;
      }
      state.set(file, "open");
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, "done");
    };
    for (const file of files) visit(file, []);
    assert.deepEqual(cycles, []);
  });
});
