# Invoker rights on this service only, never on the project (house style 13).
# ingress: allUsers (webhooks from Meta, Mercado Pago, Flow, PayPal; each request is authenticated by its
# signature instead). worker / notifier: the push service account only.

resource "google_cloud_run_v2_service_iam_member" "public_invoker" {
  count = var.public ? 1 : 0

  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.this.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = toset(var.invoker_members)

  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.this.name
  role     = "roles/run.invoker"
  member   = each.value
}

# The deployer (Cloud Build) may deploy revisions and move traffic on this service, nothing else.
resource "google_cloud_run_v2_service_iam_member" "developer" {
  for_each = toset(var.developer_members)

  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.this.name
  role     = "roles/run.developer"
  member   = each.value
}
