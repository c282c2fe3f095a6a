/**
 * Idle timeouts of the bodies being read, all checked by one timer: a body
 * notes when it last sent something, and the timer fires at the earliest
 * deadline of all bodies, fails those idle too long and waits for the next
 * one. Starting and ending a body costs no timer of its own (a timer per
 * body was a tenth of a small append's CPU time on Deno); with bodies
 * arriving all the time, the timer fires about once per idle timeout. The
 * timer keeps the process alive only while some body is watched.
 *
 * @module
 */

/** One body's idle timeout (see {@linkcode watchIdle}). */
export interface IdleWatch {
  /** Notes that the body sent something now: its idle time starts again. */
  touch(): void;
  /** Stops watching (the body ended or failed); `onIdle` is not called. */
  end(): void;
}

interface Watched {
  /** When the body last sent something (`performance.now()`). */
  last: number;
  idleMs: number;
  onIdle: () => void;
}

const watched = new Set<Watched>();
let timer: ReturnType<typeof setTimeout> | undefined;
/** When `timer` fires (`Infinity`: no timer): never after any deadline. */
let timerAt = Infinity;
/** Whether `timer` keeps the process alive (as a new timer does). */
let held = true;

/**
 * Watches a body from now on: calls `onIdle` (once) if it then sends
 * nothing for `idleMs` ms, from its start or its last
 * {@linkcode IdleWatch.touch}.
 */
export function watchIdle(idleMs: number, onIdle: () => void): IdleWatch {
  const entry: Watched = { last: performance.now(), idleMs, onIdle };
  watched.add(entry);
  if (watched.size === 1) hold(true);
  schedule(entry.last + idleMs);
  return {
    touch(): void {
      entry.last = performance.now();
    },
    end(): void {
      if (watched.delete(entry) && watched.size === 0) hold(false);
    },
  };
}

/** Makes the timer fire by `at` (a deadline only ever moves later). */
function schedule(at: number): void {
  if (at >= timerAt) return;
  if (timer !== undefined) clearTimeout(timer);
  timerAt = at;
  timer = setTimeout(sweep, Math.max(0, at - performance.now()));
  held = true;
}

/** Fails the bodies past their deadline; waits for the next deadline. */
function sweep(): void {
  timer = undefined;
  timerAt = Infinity;
  const now = performance.now();
  let next = Infinity;
  for (const entry of watched) {
    const deadline = entry.last + entry.idleMs;
    if (deadline <= now) {
      entry.onIdle();
      watched.delete(entry);
    } else if (deadline < next) {
      next = deadline;
    }
  }
  if (next < Infinity) schedule(next);
}

/**
 * Makes the timer keep the process alive (`on`) or not: the bodies being
 * read keep it alive, not a timer left pending after them.
 */
function hold(on: boolean): void {
  if (timer === undefined || held === on) return;
  held = on;
  const handle: unknown = timer;
  if (typeof handle === "object" && handle !== null && "unref" in handle) {
    const t = handle as { ref(): void; unref(): void };
    if (on) t.ref();
    else t.unref();
  } else if (typeof handle === "number") {
    const deno = (globalThis as {
      Deno?: { refTimer?(id: number): void; unrefTimer?(id: number): void };
    }).Deno;
    if (on) deno?.refTimer?.(handle);
    else deno?.unrefTimer?.(handle);
  }
}
