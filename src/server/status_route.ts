/**
 * The status page's two routes: `GET /` (the page, served without the
 * token: it holds no data) and `GET /status` (its JSON, behind the token
 * like every other route).
 *
 * @module
 */

import { allowMethods, parseQuery, pathSegments } from "./http_request.ts";
import { jsonResponse } from "./http_response.ts";
import { requestUrl } from "./request_url.ts";
import { statusJson } from "./status_json.ts";
import { statusPageResponse } from "./status_page.ts";
import type { MultiRecordLog } from "../log/multi_record_log.ts";

/**
 * Answers `GET /` and `GET /status`; `undefined` for any other path.
 * `checkToken` raises the 401 of a request without the server's token.
 */
export function statusRoute(
  log: MultiRecordLog,
  request: Request,
  checkToken: ((request: Request) => void) | undefined,
): Response | undefined {
  const parts = pathSegments(request);
  if (parts.length !== 1 || (parts[0] !== "" && parts[0] !== "status")) {
    return undefined;
  }
  if (parts[0] === "status") checkToken?.(request);
  allowMethods(request, "GET");
  parseQuery(requestUrl(request), []);
  if (parts[0] === "") return statusPageResponse();
  return jsonResponse(200, statusJson(log), { "cache-control": "no-store" });
}
