# Operators hear about trouble in the topology before merchants do (docs/deploy.md, "Alerts"). One policy per
# dead-letter hold subscription and per push subscription (main and retry), built from the same data as the
# subscriptions, so a new consumer is covered by construction; tests/unit/terraform.test.ts checks the coverage.
locals {
  # Oldest unacked message age (seconds) above which a subscription is falling behind:
  # - high priority (incoming_comments: a buyer waits for the private reply during the live): 2 min;
  # - other main subscriptions: 10 min;
  # - retry subscriptions hold a message, by design, until its `not_before` — up to the longest retry step (1 h)
  #   plus one Pub/Sub max backoff (600 s) — so only past 75 min is a retry late (ADR 0001).
  oldest_unacked_alert_seconds = {
    high   = 120
    normal = 600
    retry  = 4500
  }
}

resource "google_monitoring_alert_policy" "dead_letters" {
  for_each = local.consumers

  project               = var.project_id
  display_name          = "Dead letters on ${each.value.dead_letter_topic}"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.alert_notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "${each.value.dead_letter_subscription} holds messages"
    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND resource.labels.subscription_id = \"${each.value.dead_letter_subscription}\" AND metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A message for `${each.key}` was dead-lettered (permanent failure, or the retry schedule ran out). `npm run dlq -- list ${each.key}` shows the reason and history; `npm run dlq -- replay ${each.key}` after the cause is fixed. The incident closes when ${each.value.dead_letter_subscription} is empty."
  }
}

resource "google_monitoring_alert_policy" "oldest_unacked" {
  for_each = local.push_subscriptions

  project               = var.project_id
  display_name          = "Backlog on ${each.value.name}"
  combiner              = "OR"
  severity              = each.value.retry ? "WARNING" : "ERROR"
  notification_channels = var.alert_notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "oldest unacked message in ${each.value.name} older than ${each.value.retry ? local.oldest_unacked_alert_seconds.retry : local.oldest_unacked_alert_seconds[local.consumers[each.value.consumer].priority]} s"
    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND resource.labels.subscription_id = \"${each.value.name}\" AND metric.type = \"pubsub.googleapis.com/subscription/oldest_unacked_message_age\""
      comparison      = "COMPARISON_GT"
      threshold_value = each.value.retry ? local.oldest_unacked_alert_seconds.retry : local.oldest_unacked_alert_seconds[local.consumers[each.value.consumer].priority]
      duration        = "120s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "${each.value.name} is not keeping up: its ${local.consumers[each.value.consumer].service} answers non-2xx (see its 5xx / latency alerts and logs) or cannot take the rate. ${each.value.retry ? "A retry subscription normally holds messages up to 1 h + 600 s (ADR 0001): past that, retries are late." : "Messages wait; nothing is lost before the subscription's retention (7 days)."}"
  }
}
