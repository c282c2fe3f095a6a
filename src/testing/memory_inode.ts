/**
 * Power loss for one file of the memory file adapter: a file keeps its
 * current contents, its durable contents (as of its last sync), and the
 * writes and truncations in between, from which a crash keeps none, all, or
 * a torn subset.
 *
 * @module
 */

import { Store } from "./memory_store.ts";

/** A write or truncation not yet made durable. */
type PendingOp =
  | { kind: "write"; offset: number; bytes: Uint8Array }
  | { kind: "truncate"; length: number };

/** What survives a power loss of the operations made since the last sync. */
export type CrashMode = "drop" | "keep" | "torn";

/** A file: its current contents, durable contents, and the ops in between. */
export class Inode {
  /** What reads see. */
  current: Store = new Store();
  /** What a power loss keeps for sure. */
  durable: Store = new Store();
  /** Writes and truncations since the last sync, in order. */
  pending: PendingOp[] = [];

  /** Writes `bytes` (owned by the inode from now on) at `offset`. */
  write(bytes: Uint8Array, offset: number): void {
    this.current.write(bytes, offset);
    this.pending.push({ kind: "write", offset, bytes });
  }

  /** Sets the current length, extending with zeros or cutting. */
  truncate(length: number): void {
    this.current.truncate(length);
    this.pending.push({ kind: "truncate", length });
  }

  /** Makes the current contents durable by replaying the pending ops. */
  sync(): void {
    for (const op of this.pending) apply(this.durable, op);
    this.pending = [];
  }

  /**
   * A fresh inode with what survives a power loss: the durable contents plus
   * none (`"drop"`), all (`"keep"`) or a random subset (`"torn"`, where a
   * kept write may survive only as a prefix) of the pending ops, in order.
   */
  afterCrash(mode: CrashMode, random: () => number): Inode {
    const store = this.durable.clone();
    for (const op of this.pending) {
      if (mode === "drop") break;
      if (mode === "keep") {
        apply(store, op);
      } else if (op.kind === "truncate") {
        if (random() < 0.5) apply(store, op);
      } else {
        const roll = random();
        if (roll < 1 / 3) continue;
        let length = op.bytes.length;
        if (roll >= 2 / 3 && length >= 2) {
          length = 1 + Math.floor(random() * (length - 1));
        }
        store.write(op.bytes.subarray(0, length), op.offset);
      }
    }
    const inode = new Inode();
    inode.current = store;
    inode.durable = store.clone();
    return inode;
  }
}

function apply(store: Store, op: PendingOp): void {
  if (op.kind === "write") store.write(op.bytes, op.offset);
  else store.truncate(op.length);
}
