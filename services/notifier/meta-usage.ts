/**
 * Meta's rate-limit usage headers (docs/graph-api/overview/rate-limiting), read from every Send API answer:
 *
 * - `X-App-Usage: {"call_count":28,"total_time":25,"total_cputime":25}` — percentages of the app's budget;
 * - `X-Business-Use-Case-Usage: {"<business id>":[{"type":"messenger","call_count":97,"total_cputime":23,
 *   "total_time":23,"estimated_time_to_regain_access":19}]}` — Page-token calls fall under these Business Use
 *   Case limits; `estimated_time_to_regain_access` is in minutes.
 *
 * Meta throttles at 100 %: the pacer slows down well before that. A header that is absent or not JSON says
 * nothing (it is not "0 % used").
 */

export interface MetaUsage {
  /** Highest percentage in X-App-Usage (call_count, total_time, total_cputime), when sent. */
  appPercent: number | null;
  /** Highest percentage over the X-Business-Use-Case-Usage entries, when sent. */
  businessPercent: number | null;
  /** Longest `estimated_time_to_regain_access` (minutes) Meta announced; 0 when not throttled. */
  regainAccessMinutes: number;
}

const PERCENT_FIELDS = ['call_count', 'total_time', 'total_cputime'] as const;

function highest(entry: unknown): number | null {
  if (typeof entry !== 'object' || entry === null) return null;
  let max: number | null = null;
  for (const f of PERCENT_FIELDS) {
    const v = (entry as Record<string, unknown>)[f];
    if (typeof v === 'number' && Number.isFinite(v)) max = Math.max(max ?? 0, v);
  }
  return max;
}

function parse(text: string | null): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The usage Meta reported on one answer, or null when it reported none. */
export function parseUsageHeaders(headers: Headers): MetaUsage | null {
  const app = highest(parse(headers.get('x-app-usage')));
  let business: number | null = null;
  let regain = 0;
  const buc = parse(headers.get('x-business-use-case-usage'));
  if (typeof buc === 'object' && buc !== null) {
    for (const entries of Object.values(buc as Record<string, unknown>)) {
      for (const entry of Array.isArray(entries) ? entries : [entries]) {
        const pct = highest(entry);
        if (pct !== null) business = Math.max(business ?? 0, pct);
        const eta = (entry as Record<string, unknown> | null)?.estimated_time_to_regain_access;
        if (typeof eta === 'number' && Number.isFinite(eta) && eta > regain) regain = eta;
      }
    }
  }
  if (app === null && business === null && regain === 0) return null;
  return { appPercent: app, businessPercent: business, regainAccessMinutes: regain };
}
