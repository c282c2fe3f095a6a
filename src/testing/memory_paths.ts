/**
 * Paths of the memory file adapter: normalized (`.`, `..`, repeated `/`
 * resolved, a leading `/` kept), with their parent and base name.
 *
 * @module
 */

/** Resolves `.`, `..` and repeated slashes; keeps a leading `/`. */
export function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  const joined = parts.join("/");
  return path.startsWith("/") ? `/${joined}` : joined;
}

/** The directory of a normalized path: `""` for a relative name, `/` at the root. */
export function parentOf(path: string): string {
  const index = path.lastIndexOf("/");
  if (index < 0) return "";
  if (index === 0) return "/";
  return path.slice(0, index);
}

/** The last part of a path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
