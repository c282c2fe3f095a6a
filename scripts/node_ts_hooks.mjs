// Module hooks that let Node.js load this repository's TypeScript (the test
// suite, the CLI, the crash writers) without a type-checking step: each `.ts`
// file is transformed by esbuild once, cached on disk by path, size and
// modification time, and read from the cache after that, so that a process
// (the test files and the many processes they spawn) starts without loading
// esbuild. Registered by node_ts_register.mjs.
import { createHash } from "node:crypto";
import {
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CACHE = join(tmpdir(), `mrecordlog-node-ts-${process.getuid?.() ?? "u"}`);
const OPTIONS = {
  loader: "ts",
  format: "esm",
  target: "node20",
  sourcemap: "inline",
};
let esbuild;

/** The cache file of `path` as it is now. */
function cachePath(path) {
  const { size, mtimeMs } = statSync(path);
  const key = createHash("sha256")
    .update(JSON.stringify([path, size, mtimeMs, OPTIONS]))
    .digest("hex");
  return join(CACHE, `${key}.js`);
}

/** `path` as JavaScript, from the cache or transformed (and cached). */
export async function transformFile(path) {
  const cached = cachePath(path);
  try {
    return readFileSync(cached, "utf8");
  } catch {
    // Not transformed yet.
  }
  esbuild ??= await import("esbuild");
  const { code } = await esbuild.transform(readFileSync(path, "utf8"), {
    ...OPTIONS,
    sourcefile: path,
  });
  mkdirSync(CACHE, { recursive: true });
  const temp = `${cached}.${process.pid}.tmp`;
  writeFileSync(temp, code);
  renameSync(temp, cached);
  return code;
}

/** The `load` hook: `.ts` files are ES modules, transformed. */
export async function load(url, context, nextLoad) {
  if (url.startsWith("file:") && url.endsWith(".ts")) {
    const source = await transformFile(fileURLToPath(url));
    return { format: "module", source, shortCircuit: true };
  }
  return nextLoad(url, context);
}
