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

/** `notification_delivery` v1.0: one private reply to one comment. */
export const NOTIFICATION_DELIVERY_SCHEMA_VERSION = '1.0';
export const notificationDeliveryV1Schema = z.strictObject({
  schema_version: z.literal(NOTIFICATION_DELIVERY_SCHEMA_VERSION),
  /** Idempotency key of the reply: one private reply per comment. */
  notification_id: nonEmpty,
  tienda_id: nonEmpty,
  live_id: z.string().nullable(),
  platform: z.enum(['facebook', 'instagram']),
  /** Page id (FB) or IG account id the reply is sent from. */
  account_id: nonEmpty,
  /** The comment being replied to privately (Meta private replies: recipient.comment_id). */
  comment_id: nonEmpty,
  kind: z.enum(['payment_link', 'question_answer', 'out_of_stock', 'waitlist', 'order_cancelled', 'payment_confirmed', 'info']),
  text: z.string().min(1).max(2000),
  order_id: z.string().nullable(),
  payment_url: z.url().nullable(),
});
export type NotificationDeliveryV1 = z.infer<typeof notificationDeliveryV1Schema>;

/** Schemas exported as JSON Schema files (name → schema). */
export const EXPORTED_SCHEMAS = {
  'base-payload': basePayloadSchema,
  feed_comment: feedCommentEventSchema,
  payment_success: paymentSuccessEventSchema,
  payment_failure: paymentFailureEventSchema,
  'ai_processing.v1.0': aiProcessingV1Schema,
  'notification_delivery.v1.0': notificationDeliveryV1Schema,
} as const;
