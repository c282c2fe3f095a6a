/**
 * The progress line of the long commands, on stderr: what is done, of how
 * much when the total is known, and the rate. Shown on a terminal only (or
 * when `MRECORDLOG_PROGRESS=1` forces it, as tests do); `--quiet` turns it
 * off.
 *
 * @module
 */

import { writeSync } from "node:fs";
import process from "node:process";
import type { CommandOption, Flags } from "./command.ts";

/** The `--quiet` option of every command that shows progress. */
export const QUIET_OPTION: CommandOption = {
  name: "quiet",
  help: "show no progress line on stderr",
};

/**
 * Whether a command called with `flags` shows progress: not with `--quiet`;
 * otherwise when stderr is a terminal, or the environment variable
 * `MRECORDLOG_PROGRESS=1` forces it.
 */
export function progressWanted(flags: Flags): boolean {
  if (flags[QUIET_OPTION.name] === true) return false;
  return process.stderr.isTTY === true ||
    process.env.MRECORDLOG_PROGRESS === "1";
}

/** What a progress line counts. */
export type ProgressUnit = "bytes" | "records";

/** What a {@linkcode ProgressLine} says. */
export interface ProgressLabel {
  /** What is being done: `verifying ./data`. */
  label: string;
  /** What happens to the units counted: `read`, `copied`, `written`. */
  verb: string;
  /** What is counted. Default bytes. */
  unit?: ProgressUnit;
}

/** Redraws at most this often. */
const REDRAW_MS = 100;
/** A rate is shown once this much time has passed (before, it is noise). */
const RATE_AFTER_MS = 500;

/**
 * A progress line on stderr, redrawn in place at most every 100 ms and
 * erased by {@linkcode ProgressLine.prototype.done}, after which it stays
 * off.
 */
export class ProgressLine {
  readonly #enabled: boolean;
  readonly #what: ProgressLabel;
  readonly #start = Date.now();
  #last = 0;
  #shown = false;
  #finished = false;

  /** A line saying `what`, drawn only if `enabled` (see {@linkcode progressWanted}). */
  constructor(what: ProgressLabel, enabled: boolean) {
    this.#what = what;
    this.#enabled = enabled;
  }

  /** Shows `done` (of `total`, if known), unless shown less than 100 ms ago. */
  update(done: number, total?: number): void {
    if (!this.#enabled || this.#finished) return;
    const now = Date.now();
    if (this.#shown && now - this.#last < REDRAW_MS) return;
    this.#last = now;
    this.#shown = true;
    const elapsed = now - this.#start;
    const seconds = elapsed >= RATE_AFTER_MS ? elapsed / 1000 : undefined;
    writeSync(2, `\r\x1b[K${progressText(this.#what, done, total, seconds)}`);
  }

  /** Erases the line, if shown, to write something else on stderr; the next update draws it again. */
  clear(): void {
    if (!this.#shown) return;
    this.#shown = false;
    writeSync(2, "\r\x1b[K");
  }

  /** Erases the line, if shown; later updates are ignored. */
  done(): void {
    this.#finished = true;
    this.clear();
  }
}

/**
 * The text of a progress line: `verifying d: 1.5 MiB of 6.0 MiB read (25%),
 * 3.0 MiB/s`; without a total, `appending to q: 1.5 MiB read`, and the rate
 * only when `seconds`, the time spent so far, is given.
 */
export function progressText(
  what: ProgressLabel,
  done: number,
  total: number | undefined,
  seconds?: number,
): string {
  const unit = what.unit ?? "bytes";
  const amount = (n: number): string =>
    unit === "bytes" ? formatBytes(n) : `${Math.round(n)}`;
  const noun = unit === "records" ? " record(s)" : "";
  const known = total !== undefined && total > 0;
  const shown = known ? Math.min(done, total) : done;
  let text = known
    ? `${what.label}: ${amount(shown)} of ${
      amount(total)
    }${noun} ${what.verb} (${Math.floor((shown / total) * 100)}%)`
    : `${what.label}: ${amount(shown)}${noun} ${what.verb}`;
  if (seconds !== undefined && seconds > 0) {
    text += `, ${amount(shown / seconds)}${noun}/s`;
  }
  return text;
}

/** `bytes` in a short human form: `12.3 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0
    ? `${Math.round(bytes)} B`
    : `${value.toFixed(1)} ${units[unit]}`;
}
