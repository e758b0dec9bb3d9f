/**
 * The live-metrics job (Cloud Scheduler, every minute): for each live on air, reads its broadcast's metrics from
 * the Graph API and streams one `live_metrics` row per live and minute (insertId `<tienda>:<live>:<minute>`, so a
 * retried or doubled run writes the row once). The funnel itself (comments → intents → orders → links → paid)
 * comes from the other tables through the `live_funnel` view; this job adds what only Meta knows.
 *
 * Analytics never blocks the business path, and this job is analytics only: a Graph or token failure skips that
 * live with the reason (the next minute tries again), and a failed insert goes to the outbox like any other row.
 */
import { tiendaSecretId } from '../../../shared/tiendas/tienda-secrets.js';
import type { AnalyticsSink } from '../../../shared/analytics/analytics-recorder.js';
import { getLogger } from '../../../shared/logging/logger.js';
import type { SecretSource } from '../../../shared/secrets/secret-source.js';
import type { Live, LiveStore } from '../../../shared/tiendas/live-store.js';
import type { TiendaStore } from '../../../shared/tiendas/tienda-store.js';
import { readPageLiveVideos, type GraphLiveVideo } from './graph-live-videos.js';

export interface LiveMetricsDeps {
  tiendas: TiendaStore;
  lives: LiveStore;
  secrets: SecretSource;
  analytics: AnalyticsSink;
  /** META_GRAPH_URL, version included. */
  graphUrl: string;
  /** Deadline of one Graph call. */
  timeoutMs: number;
  now?: () => number;
}

export interface LiveMetricsResult {
  lives: number;
  recorded: number;
  skipped: Array<{ tienda_id: string; live_id: string; reason: string }>;
  truncated?: boolean;
}

/** The Page token secret the notifier also uses (services/notifier/handlers/notification-handler.ts). */
/** The Page token the notifier replies with (same secret: `tienda-<id>-meta-page-token`). */
const pageTokenSecretId = (tiendaId: string) => tiendaSecretId(tiendaId, 'meta-page-token');
const WINDOW_SECONDS = 60;

export class LiveMetricsJob {
  constructor(private readonly deps: LiveMetricsDeps) {}

  async run(budgetMs = 60_000): Promise<LiveMetricsResult> {
    const now = this.deps.now ?? Date.now;
    const until = now() + budgetMs;
    const result: LiveMetricsResult = { lives: 0, recorded: 0, skipped: [] };
    const windowStart = new Date(Math.floor(now() / (WINDOW_SECONDS * 1000)) * WINDOW_SECONDS * 1000).toISOString();
    for (const tienda of await this.deps.tiendas.list()) {
      const onAir = (await this.deps.lives.list(tienda.id)).filter((l) => l.status === 'live');
      if (onAir.length === 0) continue;
      if (now() > until) {
        result.truncated = true;
        break;
      }
      const facebook = onAir.filter((l) => l.platform === 'facebook');
      for (const live of onAir.filter((l) => l.platform !== 'facebook')) {
        result.lives++;
        // Instagram's API gives a live media's comments but no viewer count while it is on air.
        result.skipped.push({ tienda_id: tienda.id, live_id: live.live_id, reason: 'instagram_no_live_metrics' });
      }
      if (facebook.length === 0) continue;
      result.lives += facebook.length;
      let videos: GraphLiveVideo[];
      try {
        if (!tienda.meta_page_id) throw new Error('tienda has no meta_page_id');
        const token = await this.deps.secrets.get(pageTokenSecretId(tienda.id));
        videos = await readPageLiveVideos({ graphUrl: this.deps.graphUrl, pageId: tienda.meta_page_id, token, timeoutMs: this.deps.timeoutMs });
      } catch (e) {
        const reason = `graph_unavailable: ${(e as Error).message}`.slice(0, 300);
        getLogger().warn('live metrics: could not read live videos', { tienda_id: tienda.id, reason });
        for (const live of facebook) result.skipped.push({ tienda_id: tienda.id, live_id: live.live_id, reason });
        continue;
      }
      for (const live of facebook) {
        const video = matchVideo(live, videos);
        if (!video) {
          result.skipped.push({ tienda_id: tienda.id, live_id: live.live_id, reason: 'no_live_video_for_post' });
          continue;
        }
        const row = {
          tienda_id: tienda.id,
          live_id: live.live_id,
          platform: live.platform,
          window_start: windowStart,
          window_seconds: WINDOW_SECONDS,
          currency: live.currency,
          live_video_id: video.id,
          video_status: video.status,
          live_views: video.live_views,
          recorded_at: new Date(now()).toISOString(),
        };
        try {
          // BigQuery down: the recorder keeps the row in the outbox and returns; only when that fails too, skip it.
          await this.deps.analytics.record('live_metrics', `live_metrics:${tienda.id}:${live.live_id}:${windowStart}`, row);
          result.recorded++;
        } catch (e) {
          result.skipped.push({ tienda_id: tienda.id, live_id: live.live_id, reason: `analytics_unavailable: ${(e as Error).message}`.slice(0, 300) });
        }
      }
    }
    return result;
  }
}

/** The live video whose video id is the second part of the live's post id (`<page id>_<video id>`). */
function matchVideo(live: Live, videos: GraphLiveVideo[]): GraphLiveVideo | undefined {
  const videoId = live.post_id.includes('_') ? live.post_id.slice(live.post_id.indexOf('_') + 1) : live.post_id;
  return videos.find((v) => v.video_id === videoId || v.id === videoId);
}
