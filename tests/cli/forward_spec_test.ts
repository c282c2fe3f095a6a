/**
 * `serve --forward QUEUE=nats://host:port/STREAM/SUBJECT[?consumer=NAME][&create-stream]`:
 * the consumer name is taken as written (percent-decoded, a `+` kept as it
 * was before `&create-stream`), and a value without a consumer name is a
 * usage error at parse time, before the log is opened (not a TypeError from
 * the forwarder after the queue was created).
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseForwardSpec } from "../../src/cli/forwarders.ts";
import { UsageError } from "../../src/cli/options.ts";

const BASE = "q=nats://127.0.0.1:4222/S/s";

describe("parseForwardSpec", () => {
  test("takes consumer and create-stream in either order", () => {
    for (
      const query of ["?consumer=c&create-stream", "?create-stream&consumer=c"]
    ) {
      const spec = parseForwardSpec(BASE + query);
      assert.equal(spec.consumer, "c");
      assert.equal(spec.createStream, true);
    }
    const plain = parseForwardSpec(BASE);
    assert.equal(plain.consumer, "jetstream");
    assert.equal(plain.createStream, false);
  });

  test("a '+' in the consumer name stays a '+' (as before &create-stream)", () => {
    // A forwarder restarted with the same --forward must use the same log
    // consumer: read as "a b", it would start over from the queue's first
    // record and publish everything again.
    assert.equal(parseForwardSpec(`${BASE}?consumer=a+b`).consumer, "a+b");
    assert.equal(parseForwardSpec(`${BASE}?consumer=a%2Bb`).consumer, "a+b");
  });

  test("a consumer without a name is a usage error", () => {
    for (
      const query of ["?consumer=", "?consumer", "?consumer=&create-stream"]
    ) {
      assert.throws(() => parseForwardSpec(BASE + query), UsageError, query);
    }
  });
});
