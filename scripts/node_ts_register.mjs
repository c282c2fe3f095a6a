// `node --import ./scripts/node_ts_register.mjs file.ts`: Node.js loads this
// repository's TypeScript through node_ts_hooks.mjs (esbuild, cached), with
// source maps in stack traces.
import { register } from "node:module";
import process from "node:process";

register("./node_ts_hooks.mjs", import.meta.url);
process.setSourceMapsEnabled(true);
