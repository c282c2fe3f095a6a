/**
 * The lines of an NDJSON body, cut as the ingest server cuts them (the
 * library's `lineSplitter`, driven directly), for the benchmark's floor
 * and SQLite servers: any server would cut lines at least this fast, so
 * the comparison is of what each does with the records.
 *
 * @module
 */

import { lineSplitter } from "../../src/streams/line_split_stream.ts";
import { transformWhole } from "../../src/streams/byte_transformer.ts";

/** The non-empty lines of `body`, as views of it. */
export function ndjsonRecords(body: Uint8Array): Uint8Array[] {
  return transformWhole(lineSplitter(true, Number.MAX_SAFE_INTEGER), body);
}
