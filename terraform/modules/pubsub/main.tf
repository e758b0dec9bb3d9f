# Topics and subscriptions of the pipeline, built from the data in topology.tf. The shapes mirror
# shared/topology/provision-topology.ts (what `npm run provision` creates on the emulator or a project), and the
# Terraform tests hold the two together: same names, endpoints, OIDC audience, policies.

resource "google_pubsub_topic" "main" {
  for_each = toset(local.main_topics)

  project                    = var.project_id
  name                       = each.key
  message_retention_duration = var.topic_message_retention
  labels                     = var.labels
}

resource "google_pubsub_topic" "retry" {
  for_each = local.consumers

  project = var.project_id
  name    = each.value.retry_topic
  labels  = var.labels
}

resource "google_pubsub_topic" "dead_letter" {
  for_each = local.consumers

  project = var.project_id
  name    = each.value.dead_letter_topic
  labels  = var.labels
}

locals {
  # Each consumer has two push subscriptions to the same endpoint: one on its main topic and one on its own
  # retry topic (the handler answers 429 there until `not_before`). They differ only in name, topic and how
  # many native deliveries the safety net allows, so one resource builds both. Keys: the main topic name for
  # the main subscription, "<topic>-retry" for the retry one.
  push_subscriptions = merge(
    { for k, c in local.consumers : k => { consumer = k, name = c.subscription, retry = false, max_delivery_attempts = local.main_max_delivery_attempts } },
    { for k, c in local.consumers : "${k}-retry" => { consumer = k, name = c.retry_subscription, retry = true, max_delivery_attempts = local.retry_max_delivery_attempts } },
  )
}

# Endpoint = service URL + path, OIDC audience = the service URL, exactly as provision-topology.ts builds them,
# so re-running `npm run provision` converges to the same config.
resource "google_pubsub_subscription" "push" {
  for_each = local.push_subscriptions

  project                    = var.project_id
  name                       = each.value.name
  topic                      = each.value.retry ? google_pubsub_topic.retry[each.value.consumer].id : google_pubsub_topic.main[each.value.consumer].id
  ack_deadline_seconds       = local.consumers[each.value.consumer].ack_deadline_seconds
  message_retention_duration = var.subscription_message_retention
  labels                     = var.labels

  push_config {
    push_endpoint = "${var.service_urls[local.consumers[each.value.consumer].service]}${local.consumers[each.value.consumer].path}"
    oidc_token {
      service_account_email = var.push_service_account_email
      audience              = var.service_urls[local.consumers[each.value.consumer].service]
    }
  }

  retry_policy {
    minimum_backoff = "${local.native_retry_policy.minimum_backoff_seconds}s"
    maximum_backoff = "${local.native_retry_policy.maximum_backoff_seconds}s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.value.consumer].id
    max_delivery_attempts = each.value.max_delivery_attempts
  }

  # Never expire: a quiet subscription (no live for a month) would otherwise be deleted after 31 days.
  expiration_policy {
    ttl = ""
  }
}

# Pull subscription that keeps what lands on each dead-letter topic until an operator lists / replays it.
resource "google_pubsub_subscription" "dead_letter_hold" {
  for_each = local.consumers

  project                    = var.project_id
  name                       = each.value.dead_letter_subscription
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  ack_deadline_seconds       = local.dead_letter_hold.ack_deadline_seconds
  message_retention_duration = "${local.dead_letter_hold.message_retention_seconds}s"
  retain_acked_messages      = false
  labels                     = var.labels

  expiration_policy {
    ttl = ""
  }
}
