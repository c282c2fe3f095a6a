/**
 * The ingest server's own counters: requests by route template, method and
 * status, and 429 answers by the limit they met. Route templates
 * (`/queues/{queue}/records`) keep the number of series bounded: a raw path
 * (a queue name) never becomes a label.
 *
 * @module
 */

import type { MetricFamily } from "../wire/prometheus_text.ts";

const QUEUE_ROUTES = ["records", "truncate", "consumers", "retention"];
const CONSUMER_ROUTES = ["records", "ack"];
const TOP_ROUTES = ["", "metrics", "status"];
const METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD"];

/**
 * The route template of a request's path segments (see `pathSegments`):
 * `/queues/{queue}/consumers/{consumer}/ack`, …; `other` for a path no
 * route serves.
 */
export function routeTemplate(parts: readonly string[]): string {
  const [top, , child, , leaf] = parts;
  if (parts.length === 1 && TOP_ROUTES.includes(top)) return `/${top}`;
  if (top !== "queues") return "other";
  if (parts.length === 1 || (parts.length === 2 && parts[1] === "")) {
    return "/queues";
  }
  if (parts.length === 2) return "/queues/{queue}";
  if (!QUEUE_ROUTES.includes(child)) return "other";
  if (parts.length === 3) return `/queues/{queue}/${child}`;
  if (child !== "consumers") return "other";
  if (parts.length === 4) return "/queues/{queue}/consumers/{consumer}";
  if (parts.length === 5 && CONSUMER_ROUTES.includes(leaf)) {
    return `/queues/{queue}/consumers/{consumer}/${leaf}`;
  }
  return "other";
}

/** Counts of one route, method and status. */
interface RequestCount {
  route: string;
  method: string;
  status: string;
  count: number;
}

/** The server's request counters, as metric families. */
export class HttpMetrics {
  readonly #requests = new Map<string, RequestCount>();
  readonly #limited: Record<string, number> = {
    memory: 0,
    disk: 0,
    retention: 0,
    rate: 0,
  };

  /** Counts a request to the route template `route` answered `status`. */
  answered(route: string, method: string, status: number): void {
    const verb = METHODS.includes(method) ? method : "other";
    const key = `${route} ${verb} ${status}`;
    const counted = this.#requests.get(key);
    if (counted !== undefined) {
      counted.count++;
      return;
    }
    this.#requests.set(key, {
      route,
      method: verb,
      status: String(status),
      count: 1,
    });
  }

  /** Counts a 429 answered at `limit` (`memory`, `disk`, `retention`, `rate`). */
  limited(limit: string): void {
    this.#limited[limit] = (this.#limited[limit] ?? 0) + 1;
  }

  /** The counters as metric families. */
  families(): MetricFamily[] {
    const requests = [...this.#requests.values()]
      .sort((a, b) => a.route < b.route ? -1 : a.route > b.route ? 1 : 0);
    return [
      {
        name: "mrecordlog_http_requests_total",
        help:
          "HTTP requests answered, by route template, method and status code.",
        type: "counter",
        samples: requests.map(({ route, method, status, count }) => ({
          labels: { route, method, status },
          value: count,
        })),
      },
      {
        name: "mrecordlog_http_limited_total",
        help:
          "Requests answered 429 (nothing stored), by the limit they met: memory, disk, retention or rate.",
        type: "counter",
        samples: Object.entries(this.#limited)
          .map(([limit, value]) => ({ labels: { limit }, value })),
      },
    ];
  }
}
