# Narrow IAM for the topology (house style 13): every grant is an additive `_member` on one topic or one
# subscription, never on the project.

locals {
  # Google-managed Pub/Sub service agent: it moves undeliverable messages to the dead-letter topic, so it must be
  # able to publish there and to ack (subscriber) on the source subscription.
  pubsub_service_agent = "serviceAccount:service-${var.project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  producer_grants = {
    for pair in flatten([
      for topic, services in local.producers : [for service in services : { topic = topic, service = service }]
    ]) : "${pair.topic}/${pair.service}" => pair
  }
}

resource "google_pubsub_topic_iam_member" "service_agent_dead_letter_publisher" {
  for_each = local.consumers

  project = var.project_id
  topic   = google_pubsub_topic.dead_letter[each.key].name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "service_agent_push_subscriber" {
  for_each = local.push_subscriptions

  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

# Producers publish to the main topics they feed.
resource "google_pubsub_topic_iam_member" "producer_publisher" {
  for_each = local.producer_grants

  project = var.project_id
  topic   = google_pubsub_topic.main[each.value.topic].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${var.service_account_emails[each.value.service]}"
}

# A consumer re-publishes transient failures to its own retry topic…
resource "google_pubsub_topic_iam_member" "consumer_retry_publisher" {
  for_each = local.consumers

  project = var.project_id
  topic   = google_pubsub_topic.retry[each.key].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${var.service_account_emails[each.value.service]}"
}

# …and permanent failures (or the end of the schedule) to its dead-letter topic, with the reason.
resource "google_pubsub_topic_iam_member" "consumer_dead_letter_publisher" {
  for_each = local.consumers

  project = var.project_id
  topic   = google_pubsub_topic.dead_letter[each.key].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${var.service_account_emails[each.value.service]}"
}

# Operators run `npm run dlq -- list|replay <topic>`: they pull the hold subscriptions and replay onto the main
# topic. Humans (a group), never the services.
resource "google_pubsub_subscription_iam_member" "dead_letter_operators" {
  for_each = {
    for pair in setproduct(keys(local.consumers), var.dead_letter_operators) : "${pair[0]}/${pair[1]}" => {
      consumer = pair[0]
      member   = pair[1]
    }
  }

  project      = var.project_id
  subscription = google_pubsub_subscription.dead_letter_hold[each.value.consumer].name
  role         = "roles/pubsub.subscriber"
  member       = each.value.member
}

resource "google_pubsub_topic_iam_member" "dead_letter_replay_publisher" {
  for_each = {
    for pair in setproduct(keys(local.consumers), var.dead_letter_operators) : "${pair[0]}/${pair[1]}" => {
      consumer = pair[0]
      member   = pair[1]
    }
  }

  project = var.project_id
  topic   = google_pubsub_topic.main[each.value.consumer].name
  role    = "roles/pubsub.publisher"
  member  = each.value.member
}
