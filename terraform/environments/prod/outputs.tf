output "service_urls" {
  description = "Deterministic URL of each service."
  value       = module.livestreamsell.service_urls
}

output "service_accounts" {
  description = "Service accounts of the services, the push identity and the deployer."
  value       = module.livestreamsell.service_accounts
}

output "image_repository" {
  description = "Where cloudbuild.yaml pushes the image."
  value       = module.livestreamsell.image_repository
}

output "dead_letter_subscriptions" {
  description = "Dead-letter hold subscriptions, by main topic."
  value       = module.livestreamsell.dead_letter_subscriptions
}

output "build_sources_bucket" {
  description = "Where `gcloud builds submit` stages sources for builds that run as the deployer."
  value       = module.livestreamsell.build_sources_bucket
}
