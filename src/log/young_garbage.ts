/**
 * Short-lived garbage made while reading a log back (a view per payload, a
 * decoded header per record), collected as it goes under Bun.
 *
 * JavaScriptCore sizes its collections to the heap, and it counts the
 * payload memory the log keeps (`ArrayBuffer`s) in that heap: while 1 GiB of
 * records is read back, the garbage of the views grows by tens of MiB
 * before a collection runs, and the emptied heap blocks stay in the process
 * (measured: peak RSS 1,245 MiB opening 1 GiB of 256 B records, 1,128 MiB
 * with a young collection every 4 MiB read, the same CPU time). V8 collects
 * its young generation often enough by itself: nothing is done elsewhere.
 *
 * @module
 */

/** Log bytes read between two collections: 4 MiB. */
export const YOUNG_GARBAGE_BYTES = 4 * 1024 * 1024;

interface BunGc {
  gc(force: boolean): void;
}

const bun = (globalThis as { Bun?: BunGc }).Bun;

/**
 * Asks Bun for a collection of the young generation (`Bun.gc(false)`): cheap
 * when little is alive in it. Does nothing in other runtimes.
 */
export const collectYoungGarbage: () => void = bun
  ? () => bun.gc(false)
  : () => {};
