/**
 * Runs chunks through a transform stream, for the tests of the framing
 * transforms.
 *
 * @module
 */

/** Writes `chunks` through `stream` and collects its output chunks. */
export async function pipeChunks<I, O>(
  stream: TransformStream<I, O>,
  chunks: I[],
): Promise<O[]> {
  const source = new ReadableStream<I>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const out: O[] = [];
  for await (const chunk of source.pipeThrough(stream)) out.push(chunk);
  return out;
}
