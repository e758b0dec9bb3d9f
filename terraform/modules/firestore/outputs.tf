output "database_name" {
  description = "Firestore database id."
  value       = var.create_database ? google_firestore_database.this[0].name : var.database_name
}
