/**
 * The commits asked for before one write of the log writer (see
 * `LogWriter.commit`): they share one promise, settled once that write (and
 * the fsync, if any of them asked for one) is done.
 */
export interface CommitGroup {
  /** Whether any of the commits asked for an fsync. */
  sync: boolean;
  /** The highest `removeFilesBelow` asked for (0: none). */
  removeFilesBelow: number;
  /** The promise the commits return. */
  promise: Promise<void>;
  /** Resolves `promise`. */
  resolve: () => void;
  /** Rejects `promise`. */
  reject: (error: unknown) => void;
}

/** A new group, for a first commit that asks for `sync` and `removeFilesBelow`. */
export function newCommitGroup(
  sync: boolean,
  removeFilesBelow: number,
): CommitGroup {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { sync, removeFilesBelow, promise, resolve, reject };
}
