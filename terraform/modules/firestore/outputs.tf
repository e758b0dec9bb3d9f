output "database_name" {
  description = "Firestore database id."
  value       = local.database_name
}
