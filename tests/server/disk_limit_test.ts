import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { expectError, post, withServer } from "./server_helpers.ts";

const SEGMENT = 32 * 1024;

describe("the disk limit over HTTP", () => {
  test("an append past diskLimitBytes: 429 DiskLimitError with limit disk and Retry-After, nothing stored; a truncation that frees files lifts it", async () => {
    await withServer({
      retryAfterSeconds: 5,
      openOptions: { segmentBytes: SEGMENT, diskLimitBytes: 2 * SEGMENT },
    }, async (server) => {
      const q = `${server.url}/queues/q`;
      await post(q);
      const record = "d".repeat(4000) + "\n";
      let accepted = 0;
      let refused: Response | undefined;
      for (let i = 0; i < 100 && refused === undefined; i++) {
        const response = await post(
          `${q}/records?position=${accepted}`,
          record,
        );
        if (response.status === 200) {
          assert.equal((await response.json()).written, 1);
          accepted++;
        } else {
          refused = response;
        }
      }
      assert.ok(refused !== undefined, "the limit was reached");
      assert.ok(accepted > 5, `${accepted} records fit`);
      assert.equal(refused.headers.get("retry-after"), "5");
      const error = await expectError(refused, 429, "DiskLimitError");
      assert.equal(error.limit, "disk");
      assert.equal(server.log.summary().queues.q.recordCount, accepted);
      assert.ok(server.log.resourceUsage().diskUsedBytes <= 2 * SEGMENT);
      // Truncating everything lets the first file go.
      await post(`${q}/truncate?position=${accepted - 1}`);
      const again = await post(`${q}/records?position=${accepted}`, record);
      assert.equal((await again.json()).written, 1);
    });
  });
});
