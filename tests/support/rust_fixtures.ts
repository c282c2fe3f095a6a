/**
 * The logs written by the Rust crate (`tests/fixtures/rust-wal/`), with the
 * JSON files that describe them.
 *
 * @module
 */

import { readFileSync } from "node:fs";

/**
 * The folder of the Rust-written fixtures (read-only: copy a fixture's `wal`
 * folder before opening it), ending with `/`.
 */
export const RUST_FIXTURES: string =
  new URL("../fixtures/rust-wal/", import.meta.url).pathname;

/** The names of the Rust fixtures, as `index.json` lists them. */
export function rustFixtureNames(): string[] {
  return JSON.parse(readFileSync(`${RUST_FIXTURES}index.json`, "utf8"))
    .fixtures;
}

/** A JSON file of a Rust fixture (`manifest.json`, `dump.json`), parsed. */
// deno-lint-ignore no-explicit-any
export function rustFixtureJson(name: string, file: string): any {
  return JSON.parse(readFileSync(`${RUST_FIXTURES}${name}/${file}`, "utf8"));
}
