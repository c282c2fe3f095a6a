/**
 * The part of Deno's `Deno` namespace that `src/` uses, declared for the Node
 * build (`tsc -p tsconfig.build.json`), where Deno's own types are not
 * available: that code runs only under Deno (`"Deno" in globalThis`). Copied
 * from Deno's declarations (`deno types`), trimmed to what is called. A build
 * that fails with "Cannot find name 'Deno'" or "Property … does not exist"
 * means src/ calls more of it: add that here, as `deno types` declares it.
 * Nothing in dist/'s `.d.ts` files refers to it.
 */

declare namespace Deno {
  interface FsFile {
    readSync(p: Uint8Array): number | null;
    writeSync(p: Uint8Array): number;
    seekSync(offset: number | bigint, whence: SeekMode): number;
    truncateSync(len?: number): void;
    statSync(): { size: number };
    syncData(): Promise<void>;
    syncDataSync(): void;
    close(): void;
  }
  enum SeekMode {
    Start = 0,
    Current = 1,
    End = 2,
  }
  interface OpenOptions {
    read?: boolean;
    write?: boolean;
    createNew?: boolean;
  }
  interface DirEntry {
    name: string;
    isFile: boolean;
  }
  function openSync(path: string | URL, options?: OpenOptions): FsFile;
  function mkdirSync(
    path: string | URL,
    options?: { recursive?: boolean },
  ): void;
  function readDirSync(path: string | URL): IterableIterator<DirEntry>;
  function renameSync(oldpath: string | URL, newpath: string | URL): void;
  function linkSync(oldpath: string, newpath: string): void;
  function removeSync(
    path: string | URL,
    options?: { recursive?: boolean },
  ): void;
  namespace errors {
    class NotFound extends Error {}
  }
  const stdin: { readonly readable: ReadableStream<Uint8Array> };
  interface HttpServer {
    readonly addr: { hostname: string; port: number };
    shutdown(): Promise<void>;
    readonly finished: Promise<void>;
  }
  interface ServeOptions {
    port?: number;
    hostname?: string;
    signal?: AbortSignal;
    onListen?: (localAddr: { hostname: string; port: number }) => void;
  }
  function serve(
    options: ServeOptions,
    handler: (request: Request) => Response | Promise<Response>,
  ): HttpServer;
}
