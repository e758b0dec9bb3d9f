# Views over the analytics tables. The SQL lives in the repository (shared/analytics/views/*.sql, next to the table
# schemas under var.schemas_dir) with ${project_id} / ${dataset_id} placeholders; tests/unit/terraform.test.ts holds
# this list to the .sql files there.
locals {
  views = {
    live_funnel = {
      sql_file    = "live_funnel.sql"
      description = "Per live: comments -> purchase intents -> orders -> payment links -> paid, revenue, comment-to-reply latency p50/p95, peak viewers."
    }
  }
}

resource "google_bigquery_table" "views" {
  for_each = local.views

  project             = var.project_id
  dataset_id          = google_bigquery_dataset.analytics.dataset_id
  table_id            = each.key
  description         = each.value.description
  deletion_protection = false
  labels              = var.labels

  view {
    query          = templatefile("${var.schemas_dir}/../views/${each.value.sql_file}", { project_id = var.project_id, dataset_id = var.dataset_id })
    use_legacy_sql = false
  }

  # A view reads the tables: create them first.
  depends_on = [google_bigquery_table.tables]
}
