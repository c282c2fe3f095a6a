// The FileAdapter conformance suite against the node:fs adapter (the one Bun
// uses), under whichever runtime runs the tests.
import { nodeFileAdapter } from "../../src/storage/node_file_adapter.ts";
import { diskFixture, testFileAdapter } from "./file_adapter_conformance.ts";

testFileAdapter("nodeFileAdapter", {
  setup: () => diskFixture(nodeFileAdapter),
});
