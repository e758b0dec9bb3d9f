output "topics" {
  description = "Every topic of the topology, by name."
  value = merge(
    { for k, t in google_pubsub_topic.main : t.name => t.id },
    { for k, t in google_pubsub_topic.retry : t.name => t.id },
    { for k, t in google_pubsub_topic.dead_letter : t.name => t.id },
  )
}

output "push_subscriptions" {
  description = "Push subscriptions (main and retry), by name, with their endpoint."
  value       = { for k, s in google_pubsub_subscription.push : s.name => s.push_config[0].push_endpoint }
}

output "dead_letter_subscriptions" {
  description = "Pull subscriptions holding dead-lettered messages, by main topic."
  value       = { for k, s in google_pubsub_subscription.dead_letter_hold : k => s.name }
}
