/**
 * The URL of a request as the server reads it: its path and query as
 * received, whatever its `Host` header holds.
 *
 * @module
 */

import { HttpError } from "./http_error.ts";

/**
 * The request's URL. The server serves one host and never reads the host
 * part, so a `Host` that a URL parser refuses (a space, bytes that are not
 * UTF-8, or none: Bun then gives the path alone as `request.url`) is read as
 * `host.invalid`: the path and query as received are what count. Raises a
 * 400 `BadUrl` if even those cannot be read.
 */
export function requestUrl(request: Request): URL {
  const raw = request.url;
  try {
    return new URL(raw);
  } catch {
    // A host the URL parser refuses: read the path and query alone.
  }
  const authority = raw.indexOf("://");
  const start = raw.indexOf("/", authority < 0 ? 0 : authority + 3);
  try {
    return new URL(`http://host.invalid${start < 0 ? "/" : raw.slice(start)}`);
  } catch {
    throw new HttpError(
      400,
      "BadUrl",
      `The request URL cannot be read: ${JSON.stringify(raw.slice(0, 200))}`,
    );
  }
}
