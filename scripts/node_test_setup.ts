/**
 * Loaded before every test file under Node (`scripts/test_node.ts` passes it
 * with `--import`): what the tests use that Node 20 lacks. The library itself
 * uses none of it.
 *
 * @module
 */

interface ArrayWithFromAsync {
  fromAsync?: <T>(items: AsyncIterable<T> | Iterable<T>) => Promise<T[]>;
}

// Array.fromAsync: Node 22 and later.
const arrays = Array as unknown as ArrayWithFromAsync;
if (arrays.fromAsync === undefined) {
  arrays.fromAsync = async <T>(
    items: AsyncIterable<T> | Iterable<T>,
  ): Promise<T[]> => {
    const out: T[] = [];
    for await (const item of items) out.push(item);
    return out;
  };
}
