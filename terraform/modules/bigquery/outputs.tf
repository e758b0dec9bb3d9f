output "dataset_id" {
  description = "Dataset id (BIGQUERY_DATASET)."
  value       = google_bigquery_dataset.analytics.dataset_id
}

output "table_ids" {
  description = "Table ids, by table name."
  value       = { for k, t in google_bigquery_table.tables : k => t.table_id }
}
