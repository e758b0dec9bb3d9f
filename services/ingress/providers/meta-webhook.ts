import { feedCommentDataSchema, type FeedCommentData } from '../../../shared/events/event-schemas.js';
import { MalformedPayloadError } from '../../../shared/providers/provider-errors.js';

export interface SkippedChange {
  /** Webhook field (`feed`, `live_comments`, `mentions`…), or `object:<x>` / `entry` for whole-entry skips. */
  field: string;
  reason: string;
}

export interface ParsedMetaWebhook {
  comments: FeedCommentData[];
  skipped: SkippedChange[];
}

export interface ParseMetaWebhookOptions {
  /** Used only when Meta gave no usable time at all (never seen; a comment is not dropped for it). */
  receivedAt?: Date;
}

type Json = Record<string, unknown>;

const IG_COMMENT_FIELDS = new Set(['live_comments', 'comments']);

/**
 * Normalises a Meta Graph webhook POST (already signature-checked) into feed comments.
 *
 * - `object: "page"`: `changes[]` with `field: "feed"`, `value.item: "comment"`, `value.verb: "add"`.
 * - `object: "instagram"`: `changes[]` with `field: "live_comments"` or `"comments"`.
 * - Everything else (edited/removed comments, reactions, posts, statuses, other fields, `messaging[]` entries)
 *   is skipped with a reason.
 *
 * Only a body that is not an envelope at all (not an object, no `entry` array) throws `MalformedPayloadError`.
 * A single unusable change is skipped instead: Meta retries the *whole batch* (up to 1000 updates) for 36 h on
 * any non-2xx, so failing the batch for one odd change would hold back every good comment in it and replay
 * them all for a day and a half.
 */
export function parseMetaWebhook(body: unknown, options: ParseMetaWebhookOptions = {}): ParsedMetaWebhook {
  if (!isObject(body)) throw new MalformedPayloadError('Meta webhook body is not a JSON object', { provider: 'meta' });
  if (!Array.isArray(body.entry)) throw new MalformedPayloadError('Meta webhook body has no entry array', { provider: 'meta' });
  const object = body.object;
  const result: ParsedMetaWebhook = { comments: [], skipped: [] };
  if (object !== 'page' && object !== 'instagram') {
    result.skipped.push({ field: `object:${String(object)}`, reason: 'webhook object is neither page nor instagram' });
    return result;
  }
  const receivedAt = options.receivedAt ?? new Date();

  for (const entry of body.entry) {
    if (!isObject(entry) || !nonEmptyString(entry.id)) {
      result.skipped.push({ field: 'entry', reason: 'entry without an id' });
      continue;
    }
    if (!Array.isArray(entry.changes)) {
      result.skipped.push({
        field: 'entry',
        reason: Array.isArray(entry.messaging) ? 'messaging entry (not a comment)' : 'entry without changes',
      });
      continue;
    }
    for (const change of entry.changes) {
      if (!isObject(change) || typeof change.field !== 'string' || !isObject(change.value)) {
        result.skipped.push({ field: isObject(change) ? String(change.field) : 'change', reason: 'change without field or value' });
        continue;
      }
      const parsed =
        object === 'page'
          ? pageChange(entry, change.field, change.value, receivedAt)
          : instagramChange(entry, change.field, change.value, receivedAt);
      if ('reason' in parsed) {
        result.skipped.push({ field: change.field, reason: parsed.reason });
        continue;
      }
      const checked = feedCommentDataSchema.safeParse(parsed.comment);
      if (checked.success) result.comments.push(checked.data);
      else result.skipped.push({ field: change.field, reason: `invalid comment: ${checked.error.issues.map((i) => i.path.join('.')).join(', ')}` });
    }
  }
  return result;
}

type ChangeResult = { comment: FeedCommentData } | { reason: string };

function pageChange(entry: Json, field: string, value: Json, receivedAt: Date): ChangeResult {
  if (field !== 'feed') return { reason: `page field ${field} is not handled` };
  if (value.item !== 'comment') return { reason: `feed item ${String(value.item)} is not a comment` };
  if (value.verb !== 'add') return { reason: `comment verb ${String(value.verb)} is not add` };
  if (!nonEmptyString(value.comment_id)) return { reason: 'comment without comment_id' };
  if (!nonEmptyString(value.post_id)) return { reason: 'comment without post_id' };
  // `from` is missing when the app lacks the access level to see the commenter: keep the comment, null author.
  const from = isObject(value.from) ? value.from : undefined;
  return {
    comment: {
      platform: 'facebook',
      source_field: 'feed',
      account_id: String(entry.id),
      post_id: value.post_id,
      comment_id: value.comment_id,
      parent_id: nonEmptyString(value.parent_id) ? value.parent_id : null,
      author_id: from && nonEmptyString(from.id) ? from.id : null,
      author_name: from && typeof from.name === 'string' ? from.name : null,
      text: typeof value.message === 'string' ? value.message : '',
      created_time: (toDate(value.created_time) ?? toDate(entry.time) ?? receivedAt).toISOString(),
    },
  };
}

function instagramChange(entry: Json, field: string, value: Json, receivedAt: Date): ChangeResult {
  if (!IG_COMMENT_FIELDS.has(field)) return { reason: `instagram field ${field} is not handled` };
  if (!nonEmptyString(value.id)) return { reason: 'comment without id' };
  const media = isObject(value.media) ? value.media : undefined;
  if (!media || !nonEmptyString(media.id)) return { reason: 'comment without media.id' };
  const from = isObject(value.from) ? value.from : undefined;
  return {
    comment: {
      platform: 'instagram',
      source_field: field as 'live_comments' | 'comments',
      account_id: String(entry.id),
      post_id: media.id,
      comment_id: value.id,
      parent_id: nonEmptyString(value.parent_id) ? value.parent_id : null,
      author_id: from && nonEmptyString(from.id) ? from.id : null,
      author_name: from && typeof from.username === 'string' ? from.username : null,
      text: typeof value.text === 'string' ? value.text : '',
      // IG comment values carry no time of their own; entry.time is the send time.
      created_time: (toDate(entry.time) ?? receivedAt).toISOString(),
    },
  };
}

/**
 * Meta times are unix seconds, but Instagram entries have been seen with milliseconds. Anything above 1e12
 * (year 2001 in ms, year 33658 in s) is taken as milliseconds. Numeric strings and ISO strings are accepted.
 */
export function toDate(value: unknown): Date | undefined {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value)) n = Number(value);
  else if (typeof value === 'string' && value.length > 0) {
    // Graph API style `2023-05-01T12:00:00+0000` has no colon in the offset; Date.parse handles it on V8.
    const at = Date.parse(value);
    return Number.isFinite(at) ? new Date(at) : undefined;
  }
  if (n === undefined || !Number.isFinite(n) || n <= 0) return undefined;
  const date = new Date(n > 1e12 ? n : n * 1000);
  return Number.isFinite(date.getTime()) ? date : undefined;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
