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

# Push subscription on each main topic. Endpoint = service URL + path, OIDC audience = the service URL, exactly
# as provision-topology.ts builds them, so re-running `npm run provision` converges to the same config.
resource "google_pubsub_subscription" "main" {
  for_each = local.consumers

  project                    = var.project_id
  name                       = each.value.subscription
  topic                      = google_pubsub_topic.main[each.key].id
  ack_deadline_seconds       = each.value.ack_deadline_seconds
  message_retention_duration = var.subscription_message_retention
  labels                     = var.labels

  push_config {
    push_endpoint = "${var.service_urls[each.value.service]}${each.value.path}"
    oidc_token {
      service_account_email = var.push_service_account_email
      audience              = var.service_urls[each.value.service]
    }
  }

  retry_policy {
    minimum_backoff = "${local.native_retry_policy.minimum_backoff_seconds}s"
    maximum_backoff = "${local.native_retry_policy.maximum_backoff_seconds}s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = local.main_max_delivery_attempts
  }

  # Never expire: a quiet subscription (no live for a month) would otherwise be deleted after 31 days.
  expiration_policy {
    ttl = ""
  }
}

# The consumer's own retry topic pushes to the same endpoint; the handler answers 429 until `not_before`.
resource "google_pubsub_subscription" "retry" {
  for_each = local.consumers

  project                    = var.project_id
  name                       = each.value.retry_subscription
  topic                      = google_pubsub_topic.retry[each.key].id
  ack_deadline_seconds       = each.value.ack_deadline_seconds
  message_retention_duration = var.subscription_message_retention
  labels                     = var.labels

  push_config {
    push_endpoint = "${var.service_urls[each.value.service]}${each.value.path}"
    oidc_token {
      service_account_email = var.push_service_account_email
      audience              = var.service_urls[each.value.service]
    }
  }

  retry_policy {
    minimum_backoff = "${local.native_retry_policy.minimum_backoff_seconds}s"
    maximum_backoff = "${local.native_retry_policy.maximum_backoff_seconds}s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = local.retry_max_delivery_attempts
  }

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
