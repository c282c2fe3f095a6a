import { denoFileAdapter } from "./deno_file_adapter.ts";
import type { FileAdapter } from "./file_adapter.ts";
import { nodeFileAdapter } from "./node_file_adapter.ts";

/** The file adapter for the running runtime: Deno's under Deno, `node:fs` elsewhere (Bun). */
export function defaultFileAdapter(): FileAdapter {
  return "Deno" in globalThis ? denoFileAdapter : nodeFileAdapter;
}
