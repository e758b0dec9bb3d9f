import { z } from 'zod';

/**
 * The event contracts of the pipeline — the one source of truth. JSON Schema files under
 * `shared/events/json-schema/` are generated from these (`npm run schemas`) and checked in CI.
 */

/** ISO 8601 date-time with offset (what `new Date().toISOString()` gives, and Meta/MP offsets). */
export const isoTimestamp = z.iso.datetime({ offset: true });

export const EVENT_NAMES = ['feed_comment', 'payment_success', 'payment_failure'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** Base payload of every inbound event (required by the product owner). */
export const basePayloadSchema = z.object({
  event: z.string().min(1),
  timestamp: isoTimestamp,
  data: z.record(z.string(), z.unknown()),
});
export type BasePayload = z.infer<typeof basePayloadSchema>;

const nonEmpty = z.string().min(1);

/** A comment on a Facebook Page post/live or an Instagram media/live, as the later stages need it. */
export const feedCommentDataSchema = z.object({
  platform: z.enum(['facebook', 'instagram']),
  /** Meta webhook field the comment came from: `feed`, `live_comments` or `comments`. */
  source_field: z.enum(['feed', 'live_comments', 'comments']),
  /** Facebook Page id, or Instagram professional account id. */
  account_id: nonEmpty,
  /** Facebook post / live video post id, or Instagram media id. */
  post_id: nonEmpty,
  comment_id: nonEmpty,
  /** Parent comment or post; null for a top-level comment where Meta does not say. */
  parent_id: z.string().nullable(),
  author_id: z.string().nullable(),
  author_name: z.string().nullable(),
  text: z.string(),
  created_time: isoTimestamp,
});
export type FeedCommentData = z.infer<typeof feedCommentDataSchema>;

export const PAYMENT_PROVIDERS = ['mercadopago', 'flow', 'paypal'] as const;
export type PaymentProvider = (typeof PAYMENT_PROVIDERS)[number];

/** A payment state change, always re-read from the provider's API (never trusted from the webhook body). */
export const paymentDataSchema = z.object({
  provider: z.enum(PAYMENT_PROVIDERS),
  tienda_id: nonEmpty,
  /** Provider's transaction id: MP payment id, Flow token/flowOrder, PayPal capture id. */
  transaction_id: nonEmpty,
  /** Our order reference as the provider echoes it: external_reference / commerceOrder / custom_id. */
  order_reference: z.string().nullable(),
  amount: z.number().nonnegative().nullable(),
  currency: z.string().nullable(),
  /** The provider's own status word (approved, 2, COMPLETED...). */
  status: z.string(),
  /** Why it failed (status_detail, PayPal reason...) or null. */
  reason: z.string().nullable(),
});
export type PaymentData = z.infer<typeof paymentDataSchema>;

export const feedCommentEventSchema = basePayloadSchema.extend({
  event: z.literal('feed_comment'),
  data: feedCommentDataSchema,
});
export const paymentSuccessEventSchema = basePayloadSchema.extend({
  event: z.literal('payment_success'),
  data: paymentDataSchema,
});
export const paymentFailureEventSchema = basePayloadSchema.extend({
  event: z.literal('payment_failure'),
  data: paymentDataSchema,
});
export const inboundEventSchema = z.discriminatedUnion('event', [
  feedCommentEventSchema,
  paymentSuccessEventSchema,
  paymentFailureEventSchema,
]);
export type FeedCommentEvent = z.infer<typeof feedCommentEventSchema>;
export type PaymentEvent = z.infer<typeof paymentSuccessEventSchema> | z.infer<typeof paymentFailureEventSchema>;
export type InboundEvent = z.infer<typeof inboundEventSchema>;

/**
 * `ai_processing` v1.0 (required): exactly these fields. Strict so that a producer adding a field is caught —
 * extra fields only come with a new schema_version, and consumers dead-letter unknown versions.
 */
export const AI_PROCESSING_SCHEMA_VERSION = '1.0';
export const aiProcessingV1Schema = z.strictObject({
  comment_id: nonEmpty,
  text: z.string(),
  context: z.strictObject({ tienda_id: nonEmpty, live_id: nonEmpty }),
  schema_version: z.literal(AI_PROCESSING_SCHEMA_VERSION),
});
export type AiProcessingV1 = z.infer<typeof aiProcessingV1Schema>;

/** What a buyer is told; the notifier picks the channel (first message about a comment: its private reply). */
export const NOTIFICATION_KINDS = [
  'payment_link',
  'waitlisted',
  'waitlist_promoted',
  'clarification',
  'question_answer',
  'order_cancelled',
  'payment_confirmed',
  'payment_failed',
  'order_expired',
  'order_failed',
  'needs_review',
  'info',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/**
 * `notification_delivery` v1.0: one message to one buyer about one comment (or the order it became).
 * `notification_id` is the message's own idempotency key (e.g. `<order id>:payment_link`): one send per id.
 */
export const NOTIFICATION_DELIVERY_SCHEMA_VERSION = '1.0';
export const notificationDeliveryV1Schema = z.strictObject({
  schema_version: z.literal(NOTIFICATION_DELIVERY_SCHEMA_VERSION),
  notification_id: nonEmpty,
  tienda_id: nonEmpty,
  live_id: z.string().nullable(),
  platform: z.enum(['facebook', 'instagram']),
  /** Page id (FB) or IG account id the message is sent from. */
  account_id: nonEmpty,
  /** The buyer's comment this conversation started from (Meta private replies: recipient.comment_id). */
  comment_id: nonEmpty,
  /** The buyer: page- or Instagram-scoped id from the comment (`from.id`), when Meta gave it. */
  author_id: z.string().nullable(),
  author_name: z.string().nullable(),
  kind: z.enum(NOTIFICATION_KINDS),
  /** Spanish text as the buyer reads it; the notifier fits it to the channel's limits. */
  text: z.string().min(1).max(2000),
  order_id: z.string().nullable(),
  /** A payment link to send as a button where the channel supports one. */
  payment_url: z.url().nullable(),
  /** When the triggering event happened (comment created, payment confirmed…): the latency origin. */
  event_at: isoTimestamp,
});
export type NotificationDeliveryV1 = z.infer<typeof notificationDeliveryV1Schema>;

/**
 * `buyer_message`: a buyer wrote to a Page or Instagram account (Meta `messages` / `messaging_postbacks` webhook,
 * published by the ingress on `buyer_messages`, idempotency key `meta_message:<mid>`). It opens the buyer's 24 h
 * messaging window; a quick-reply or postback `payload` of ours links their thread to a comment / order.
 */
export const buyerMessageDataSchema = z.object({
  platform: z.enum(['facebook', 'instagram']),
  /** Page id or Instagram professional account id the buyer wrote to. */
  account_id: nonEmpty,
  /** Page-scoped id (PSID) or Instagram-scoped id (IGSID) of the buyer: `recipient.id` of the Send API. */
  buyer_id: nonEmpty,
  /** Meta's message id (`message.mid` / `postback.mid`). */
  mid: nonEmpty,
  type: z.enum(['text', 'quick_reply', 'postback', 'attachment']),
  text: z.string().nullable(),
  /** Quick-reply or postback payload. */
  payload: z.string().nullable(),
  /** When the buyer sent it (Meta's `timestamp`): the window runs from here. */
  sent_at: isoTimestamp,
});
export type BuyerMessageData = z.infer<typeof buyerMessageDataSchema>;
export const buyerMessageEventSchema = basePayloadSchema.extend({
  event: z.literal('buyer_message'),
  data: buyerMessageDataSchema,
});
export type BuyerMessageEvent = z.infer<typeof buyerMessageEventSchema>;

/** Schemas exported as JSON Schema files (name → schema). */
export const EXPORTED_SCHEMAS = {
  'base-payload': basePayloadSchema,
  feed_comment: feedCommentEventSchema,
  payment_success: paymentSuccessEventSchema,
  payment_failure: paymentFailureEventSchema,
  'ai_processing.v1.0': aiProcessingV1Schema,
  'notification_delivery.v1.0': notificationDeliveryV1Schema,
  buyer_message: buyerMessageEventSchema,
} as const;
