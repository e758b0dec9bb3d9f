import type { Firestore } from '@google-cloud/firestore';
import type { FeedCommentData } from '../../../shared/events/event-schemas.js';

/**
 * `comments/{comment_id}`: who wrote a comment sold on, and when (docs/data-model.md). `ai_processing` v1.0
 * carries only the text and ids, so the order step reads the buyer (to reply) and Meta's comment time (first
 * come, first served) from here. Written before `ai_processing` is published, so it is there for every order.
 */
export interface CommentRecord {
  comment_id: string;
  tienda_id: string;
  live_id: string;
  platform: FeedCommentData['platform'];
  account_id: string;
  post_id: string;
  author_id: string | null;
  author_name: string | null;
  /** What the buyer wrote (answers look up the product it names). */
  text: string;
  created_time: string;
  received_at: string;
}

export class CommentStore {
  constructor(private readonly db: Firestore) {}

  /** Idempotent: a redelivered comment writes the same record. */
  async save(record: CommentRecord): Promise<void> {
    await this.db.collection('comments').doc(record.comment_id).set(record);
  }

  async get(commentId: string): Promise<CommentRecord | null> {
    const snap = await this.db.collection('comments').doc(commentId).get();
    return snap.exists ? (snap.data() as CommentRecord) : null;
  }
}
