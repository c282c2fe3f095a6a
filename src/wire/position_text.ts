/**
 * A queue position given as text, as the HTTP server's query parameters and
 * the command line's arguments take it.
 *
 * @module
 */

/**
 * The position written in `text`: decimal digits, a value below 2^53.
 * Raises a `RangeError` naming the value as `name` otherwise (the server
 * answers it as a 400, the command line as a usage error).
 */
export function parsePositionText(text: string, name: string): number {
  const number = Number(text);
  if (!/^[0-9]{1,16}$/.test(text) || !Number.isSafeInteger(number)) {
    throw new RangeError(
      `${name} must be a non-negative integer below 2^53, got ${
        JSON.stringify(text)
      }`,
    );
  }
  return number;
}
