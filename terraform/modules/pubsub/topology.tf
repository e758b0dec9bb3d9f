# The Pub/Sub topology, written out as data so a reviewer sees every name in one place.
#
# This is a copy of shared/topology/topology.ts (CONSUMERS, TOPIC_NAMES, NATIVE_RETRY_POLICY,
# MAIN_MAX_DELIVERY_ATTEMPTS, RETRY_MAX_DELIVERY_ATTEMPTS). tests/unit/terraform.test.ts compares it with the
# code field by field, and compares the resources in main.tf with what `npm run provision` creates, so a change
# on one side without the other fails CI. Keys are the main topic names: each topic has exactly one consumer.
locals {
  main_topics = ["incoming_comments", "ai_processing", "notification_delivery", "payment_events", "buyer_messages"]

  consumers = {
    incoming_comments = {
      service                  = "worker"
      path                     = "/pubsub/incoming-comments"
      subscription             = "incoming_comments-worker"
      retry_topic              = "incoming_comments-retry"
      retry_subscription       = "incoming_comments-retry-worker"
      dead_letter_topic        = "incoming_comments-dlq"
      dead_letter_subscription = "incoming_comments-dlq-hold"
      priority                 = "high"
      ack_deadline_seconds     = 30
    }
    ai_processing = {
      service                  = "worker"
      path                     = "/pubsub/ai-processing"
      subscription             = "ai_processing-worker"
      retry_topic              = "ai_processing-retry"
      retry_subscription       = "ai_processing-retry-worker"
      dead_letter_topic        = "ai_processing-dlq"
      dead_letter_subscription = "ai_processing-dlq-hold"
      priority                 = "normal"
      ack_deadline_seconds     = 60
    }
    payment_events = {
      service                  = "worker"
      path                     = "/pubsub/payment-events"
      subscription             = "payment_events-worker"
      retry_topic              = "payment_events-retry"
      retry_subscription       = "payment_events-retry-worker"
      dead_letter_topic        = "payment_events-dlq"
      dead_letter_subscription = "payment_events-dlq-hold"
      priority                 = "normal"
      ack_deadline_seconds     = 30
    }
    notification_delivery = {
      service                  = "notifier"
      path                     = "/pubsub/notification-delivery"
      subscription             = "notification_delivery-notifier"
      retry_topic              = "notification_delivery-retry"
      retry_subscription       = "notification_delivery-retry-notifier"
      dead_letter_topic        = "notification_delivery-dlq"
      dead_letter_subscription = "notification_delivery-dlq-hold"
      priority                 = "normal"
      ack_deadline_seconds     = 30
    }
    buyer_messages = {
      service                  = "notifier"
      path                     = "/pubsub/buyer-messages"
      subscription             = "buyer_messages-notifier"
      retry_topic              = "buyer_messages-retry"
      retry_subscription       = "buyer_messages-retry-notifier"
      dead_letter_topic        = "buyer_messages-dlq"
      dead_letter_subscription = "buyer_messages-dlq-hold"
      priority                 = "normal"
      ack_deadline_seconds     = 30
    }
  }

  # The safety net for crashes (DESIGN §3): the 10 s / 1 min / 5 min / 15 min / 1 h schedule itself is run by the
  # push handler through the retry topics; Pub/Sub caps both backoffs at 600 s.
  native_retry_policy = {
    minimum_backoff_seconds = 10
    maximum_backoff_seconds = 600
  }
  main_max_delivery_attempts = 10
  # Retry subscriptions answer 429 until a message's `not_before` (up to an hour away), so they need many more
  # native attempts than the main ones before Pub/Sub gives up and dead-letters.
  retry_max_delivery_attempts = 100

  # The pull subscriptions that keep what lands on a dead-letter topic (a topic without a subscription drops
  # messages). Same values as provision-topology.ts.
  dead_letter_hold = {
    ack_deadline_seconds      = 60
    message_retention_seconds = 604800
  }

  # Who publishes to the main topics. Consumers also publish to their own retry and dead-letter topics (iam.tf).
  # There is no code constant for this: it follows the flow in DESIGN §1 (ingress → incoming_comments and
  # payment_events; worker → ai_processing and notification_delivery); buyers' Messenger / Instagram messages:
  # ingress → buyer_messages; the worker's reconcile-payments job → payment_events (what webhooks missed).
  # tests/unit/terraform.test.ts derives the same map from the `TOPIC_NAMES.<topic>` each service's code publishes to.
  producers = {
    incoming_comments     = ["ingress"]
    payment_events        = ["ingress", "worker"]
    ai_processing         = ["worker"]
    notification_delivery = ["worker"]
    buyer_messages        = ["ingress"]
  }
}
