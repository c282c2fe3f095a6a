// The FileAdapter conformance suite against the memory file adapter: a fresh
// adapter per test, in a directory named relatively (the memory adapter keeps
// relative paths apart from absolute ones, under a root of their own).
import { MemoryFileAdapter } from "../../src/testing/memory_file_adapter.ts";
import { testFileAdapter } from "../storage/file_adapter_conformance.ts";

testFileAdapter("MemoryFileAdapter", {
  setup: () => {
    const adapter = new MemoryFileAdapter();
    adapter.mkdir("scratch");
    return {
      adapter,
      dir: "scratch",
      relativeDir: "./scratch/../scratch",
      cleanup: () => {},
    };
  },
});
