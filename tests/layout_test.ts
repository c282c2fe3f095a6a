/**
 * The layout by layer, checked: every module under `src/` imports only from
 * its own folder or from folders below it, `mod.ts` (the library) never
 * imports a tool, and no module imports itself back through a cycle; and the
 * sizes issue 10 set: no source file over 400 lines, no function over 60,
 * unless a comment says why it stays whole (`// kept whole: …` in the file;
 * for a function, a comment right above it containing `kept whole:`, in any
 * case).
 *
 * @module
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";

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

/** Lines of the longest body a file's functions may have. */
const MAX_FUNCTION_LINES = 60;
/** Lines a source file may have. */
const MAX_FILE_LINES = 400;

/** Functions of `file` with a body over the limit and no `kept whole:` note. */
function longFunctions(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const lineOf = (pos: number): number =>
    source.getLineAndCharacterOfPosition(pos).line;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const body = node.body as ts.Node;
      const lines = lineOf(body.getEnd()) - lineOf(body.getStart());
      const notes = ts.getLeadingCommentRanges(text, node.getFullStart()) ??
        [];
      const kept = notes.some((c) =>
        text.slice(c.pos, c.end).toLowerCase().includes("kept whole:")
      );
      if (lines > MAX_FUNCTION_LINES && !kept) {
        const name = "name" in node && node.name
          ? (node.name as ts.Node).getText(source)
          : "(anonymous)";
        found.push(`${file}:${lineOf(body.getStart()) + 1} ${name}: ${lines}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("sizes", () => {
  const files = [
    ...sourceFiles("src"),
    "mod.ts",
    "cli.ts",
    "server.ts",
    "jetstream.ts",
  ];

  it(`no source file over ${MAX_FILE_LINES} lines`, () => {
    const long = files.filter((f) => {
      const text = readFileSync(join(ROOT, f), "utf8");
      return text.split("\n").length > MAX_FILE_LINES + 1 &&
        !text.includes("// kept whole:");
    });
    assert.deepEqual(long, []);
  });

  it(`no function over ${MAX_FUNCTION_LINES} lines without a note`, () => {
    assert.deepEqual(files.flatMap(longFunctions), []);
  });
});
