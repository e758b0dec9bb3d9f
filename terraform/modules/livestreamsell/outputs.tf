output "service_urls" {
  description = "Deterministic URL of each service (push endpoints and OIDC audiences are built from these)."
  value       = local.service_urls
}

output "service_accounts" {
  description = "Runtime service account of each service, and the push, scheduler and deployer identities."
  value = merge(
    { for name, sa in google_service_account.runtime : name => sa.email },
    {
      push      = google_service_account.push.email
      scheduler = google_service_account.scheduler.email
      deployer  = google_service_account.deployer.email
    },
  )
}

output "image_repository" {
  description = "Docker repository path for cloudbuild.yaml (REGION-docker.pkg.dev/PROJECT/REPOSITORY)."
  value       = "${google_artifact_registry_repository.images.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

output "bigquery_dataset" {
  description = "Analytics dataset id."
  value       = module.bigquery.dataset_id
}

output "dead_letter_subscriptions" {
  description = "Pull subscriptions that hold dead-lettered messages, by main topic."
  value       = module.pubsub.dead_letter_subscriptions
}

output "scheduler_jobs" {
  description = "The worker's Cloud Scheduler jobs: name => target URI (`gcloud scheduler jobs run <name>` to run one now)."
  value       = { for name, job in google_cloud_scheduler_job.worker_jobs : name => job.http_target[0].uri }
}

output "build_sources_bucket" {
  description = "Bucket `gcloud builds submit` stages sources in (--gcs-source-staging-dir=gs://<bucket>/source): the deployer can read it."
  value       = google_storage_bucket.build_sources.name
}
