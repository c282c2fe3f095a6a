import type { AdapterFile } from "./file_adapter.ts";

/**
 * `file`, calling `onRead` with the bytes of every read (for progress
 * lines); every other call goes straight to `file`.
 */
export function countingReads(
  file: AdapterFile,
  onRead: (bytes: number) => void,
): AdapterFile {
  return {
    read(buffer, offset) {
      const n = file.read(buffer, offset);
      onRead(n);
      return n;
    },
    write: (bytes, offset) => file.write(bytes, offset),
    truncate: (length) => file.truncate(length),
    size: () => file.size(),
    syncData: () => file.syncData(),
    syncDataSync: () => file.syncDataSync(),
    close: () => file.close(),
  };
}
