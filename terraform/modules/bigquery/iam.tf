# Streaming inserts (tabledata.insertAll) need bigquery.tables.updateData on the tables: dataEditor on this
# dataset only, never a project-wide BigQuery role.
resource "google_bigquery_dataset_iam_member" "writers" {
  for_each = toset(var.writer_members)

  project    = var.project_id
  dataset_id = google_bigquery_dataset.analytics.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = each.value
}

resource "google_bigquery_dataset_iam_member" "readers" {
  for_each = toset(var.reader_members)

  project    = var.project_id
  dataset_id = google_bigquery_dataset.analytics.dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = each.value
}
