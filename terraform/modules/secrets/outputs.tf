output "secret_ids" {
  description = "Ids of the secret containers created."
  value       = [for s in google_secret_manager_secret.this : s.secret_id]
}
