# APIs the pipeline uses. disable_on_destroy = false: destroying this stack must not switch off an API other
# things in the project may use. Cloud Resource Manager is what `data.google_project` reads at plan time, and
# Service Usage is what enables the others: on an empty project both are enabled by hand once before the first
# plan (docs/deploy.md, Bootstrap), and held here afterwards.
locals {
  apis = concat([
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "serviceusage.googleapis.com",
    "storage.googleapis.com",
  ], var.gemini_use_vertex ? ["aiplatform.googleapis.com"] : [])
}

resource "google_project_service" "enabled" {
  for_each = toset(local.apis)

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

data "google_project" "this" {
  project_id = var.project_id
}
