import { AI_PROCESSING_SCHEMA_VERSION, type AiProcessingV1, type FeedCommentEvent } from '../../../shared/events/event-schemas.js';
import type { AnalyticsSink } from '../../../shared/analytics/analytics-recorder.js';
import type { IdempotencyStore } from '../../../shared/idempotency/idempotency-store.js';
import { publishOnce } from '../../../shared/idempotency/publish-once.js';
import { addLogContext } from '../../../shared/logging/log-context.js';
import { getLogger } from '../../../shared/logging/logger.js';
import type { Publisher } from '../../../shared/pubsub/publisher.js';
import { wasOnAirAt, type LiveStore } from '../../../shared/tiendas/live-store.js';
import type { TiendaStore } from '../../../shared/tiendas/tienda-store.js';
import { TOPIC_NAMES } from '../../../shared/topology/topology.js';
import type { CommentStore } from '../comments/comment-store.js';

export type CommentDisposition =
  | 'forwarded'
  | 'skipped_unknown_account'
  | 'skipped_no_live'
  | 'skipped_live_not_on_air'
  | 'skipped_own_comment'
  | 'skipped_empty';

export interface IncomingCommentDeps {
  tiendas: TiendaStore;
  lives: LiveStore;
  idempotency: IdempotencyStore;
  publisher: Publisher;
  analytics: AnalyticsSink;
  comments: CommentStore;
  now?: () => number;
}

/**
 * `incoming_comments` → `ai_processing` v1.0. Resolves the tienda from the Page / IG account and the live
 * from the post or media, drops what must not be sold on (the page's own replies, empty comments, lives not
 * on air) and records every decision. Publishing is once per comment (Pub/Sub delivers at least once).
 */
export async function handleIncomingComment(event: FeedCommentEvent, deps: IncomingCommentDeps): Promise<CommentDisposition> {
  const c = event.data;
  const tienda = await deps.tiendas.findByAccount(c.platform, c.account_id);
  let liveId: string | null = null;
  let disposition: CommentDisposition;
  if (!c.text.trim()) disposition = 'skipped_empty';
  else if (c.author_id !== null && c.author_id === c.account_id) disposition = 'skipped_own_comment';
  else if (!tienda) disposition = 'skipped_unknown_account';
  else {
    addLogContext({ tienda_id: tienda.id });
    const commentTime = Date.parse(c.created_time);
    let live = await deps.lives.findByPost(c.platform, c.post_id);
    // A cached live may predate its going on air (LIVE_CACHE_TTL): a comment is never skipped on a cached copy.
    if (live && live.tienda_id === tienda.id && !wasOnAirAt(live, commentTime)) live = await deps.lives.findByPost(c.platform, c.post_id, { fresh: true });
    if (!live || live.tienda_id !== tienda.id) disposition = 'skipped_no_live';
    else {
      liveId = live.live_id;
      // Judged at the comment's own time: a retry processed after the live ended still sells what was said on air.
      if (!wasOnAirAt(live, commentTime)) disposition = 'skipped_live_not_on_air';
      else {
        const message: AiProcessingV1 = {
          comment_id: c.comment_id,
          text: c.text,
          context: { tienda_id: tienda.id, live_id: live.live_id },
          schema_version: AI_PROCESSING_SCHEMA_VERSION,
        };
        // The buyer and the comment time, for the order step (ai_processing v1.0 carries neither).
        await deps.comments.save({
          comment_id: c.comment_id,
          tienda_id: tienda.id,
          live_id: live.live_id,
          platform: c.platform,
          account_id: c.account_id,
          post_id: c.post_id,
          author_id: c.author_id,
          author_name: c.author_name,
          text: c.text,
          created_time: c.created_time,
          received_at: new Date((deps.now ?? Date.now)()).toISOString(),
        });
        await publishOnce(
          [{ topic: TOPIC_NAMES.aiProcessing, payload: message, event: 'ai_processing', key: `ai_processing:${c.comment_id}`, tiendaId: tienda.id, schemaVersion: AI_PROCESSING_SCHEMA_VERSION }],
          deps,
        );
        disposition = 'forwarded';
      }
    }
  }
  if (disposition !== 'forwarded') getLogger().info('comment not forwarded', { disposition, comment_id: c.comment_id, account_id: c.account_id, post_id: c.post_id });
  await deps.analytics.record('comments', `comment:${c.comment_id}`, {
    comment_id: c.comment_id,
    tienda_id: tienda?.id ?? null,
    live_id: liveId,
    platform: c.platform,
    source_field: c.source_field,
    account_id: c.account_id,
    post_id: c.post_id,
    parent_id: c.parent_id,
    author_id: c.author_id,
    text: c.text,
    created_time: c.created_time,
    received_at: new Date((deps.now ?? Date.now)()).toISOString(),
    disposition,
  });
  return disposition;
}
