/**
 * Lets the process exit while `timer` is pending (Deno returns a number, Bun
 * and Node.js an object).
 */
export function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  if (typeof timer === "number") {
    // deno-lint-ignore no-explicit-any
    (globalThis as any).Deno?.unrefTimer?.(timer);
  } else {
    (timer as { unref?: () => void }).unref?.();
  }
}
