output "name" {
  description = "Service name."
  value       = google_cloud_run_v2_service.this.name
}

output "uri" {
  description = "URL Cloud Run reports for the service."
  value       = google_cloud_run_v2_service.this.uri
}

output "id" {
  description = "Resource id of the service."
  value       = google_cloud_run_v2_service.this.id
}
