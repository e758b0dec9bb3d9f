resource "google_bigquery_dataset" "analytics" {
  project                    = var.project_id
  dataset_id                 = var.dataset_id
  location                   = var.location
  description                = "LiveStreamSell AI analytics: comments, intents, orders, payments, notifications, dead letters, live metrics."
  delete_contents_on_destroy = false
  labels                     = var.labels
}

resource "google_bigquery_table" "tables" {
  for_each = local.tables

  project             = var.project_id
  dataset_id          = google_bigquery_dataset.analytics.dataset_id
  table_id            = each.key
  schema              = file("${var.schemas_dir}/${each.value.schema_file}")
  clustering          = each.value.clustering
  deletion_protection = var.deletion_protection
  labels              = var.labels

  time_partitioning {
    type          = local.partition_type
    field         = each.value.partition_field
    expiration_ms = var.partition_expiration_days == null ? null : var.partition_expiration_days * 86400000
  }
}
