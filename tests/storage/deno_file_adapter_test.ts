// The FileAdapter conformance suite against Deno's adapter; it needs the Deno
// APIs, so under another runtime (Bun) its tests are skipped, saying why.
import { denoFileAdapter } from "../../src/storage/deno_file_adapter.ts";
import { diskFixture, testFileAdapter } from "./file_adapter_conformance.ts";

testFileAdapter("denoFileAdapter", {
  setup: () => diskFixture(denoFileAdapter),
  skip: "Deno" in globalThis
    ? undefined
    : "denoFileAdapter needs the Deno APIs: run under Deno",
});
