# IAM model (house style 13, docs/deploy.md):
# - one runtime service account per service; each gets only what its code calls;
# - a separate push service account: Pub/Sub signs push requests as it, and it is the only invoker of worker and
#   notifier (granted on those two services, in ../cloud-run-service/iam.tf);
# - a separate scheduler service account: Cloud Scheduler signs the worker's job requests as it; it invokes the
#   worker only, and only the worker accepts it (scheduler.tf);
# - topic, subscription, secret and dataset grants live next to those resources, as additive `_member`s;
# - the few project-level grants below are additive `google_project_iam_member`s (never `_binding` / `_policy`,
#   which would overwrite grants made elsewhere), and the secret one is conditioned on the `tienda-` prefix.

resource "google_service_account" "runtime" {
  for_each = toset(["ingress", "worker", "notifier"])

  project      = var.project_id
  account_id   = "lss-${each.key}"
  display_name = "LiveStreamSell ${each.key} (Cloud Run runtime)"
}

resource "google_service_account" "push" {
  project      = var.project_id
  account_id   = "lss-pubsub-push"
  display_name = "LiveStreamSell Pub/Sub push (OIDC identity of push requests)"
}

# Pub/Sub mints the push OIDC tokens as the push account. Needed for projects created before 2021-04-08 and
# harmless after; granted on this one service account, not on the project.
resource "google_service_account_iam_member" "pubsub_agent_push_token_creator" {
  service_account_id = google_service_account.push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

# Cloud Scheduler signs the worker's job requests (scheduler.tf) as its own account rather than the push account:
# - it can invoke, and is accepted by, the worker only — the notifier never sees a job, so it does not trust it;
# - each Google agent mints tokens for one account: Pub/Sub for the push account, Cloud Scheduler for this one;
# - a refused or unexpected caller shows which of the two it was.
resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "lss-scheduler"
  display_name = "LiveStreamSell Cloud Scheduler (OIDC identity of the worker's jobs)"
}

# Cloud Scheduler mints the jobs' OIDC tokens as the scheduler account. Its agent has this through its own role on
# projects created after 2019-03-19; granted here on this one account so older projects work too.
resource "google_service_account_iam_member" "scheduler_agent_token_creator" {
  service_account_id = google_service_account.scheduler.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-cloudscheduler.iam.gserviceaccount.com"

  # The agent exists once the API is enabled.
  depends_on = [google_project_service.enabled]
}

# Firestore has no per-collection IAM: idempotency keys (all three), tiendas / meta_accounts / lives / orders.
resource "google_project_iam_member" "runtime_firestore_user" {
  for_each = google_service_account.runtime

  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${each.value.email}"
}

# Per-tienda secrets (`tienda-<tienda_id>-<name>`: page tokens, Mercado Pago / Flow / PayPal credentials) are
# created when a merchant is onboarded, so they cannot be listed here: access is a grant conditioned on the name.
# Only the services whose code reads them get one, and only for what they read (resource.name is the version
# read, `projects/<number>/secrets/<id>/versions/latest`, the only version the code reads):
# - ingress: payment-provider webhook secrets and API credentials (services/ingress/routes/payment-routes.ts);
# - worker: the same credentials, to create payment links (the order slice);
# - notifier: only each tienda's page token, `tienda-<id>-meta-page-token` (handlers/notification-handler.ts).
# Read only — never create or change.
locals {
  tienda_secret_prefix = "projects/${data.google_project.this.number}/secrets/tienda-"
  tienda_secret_conditions = {
    every_tienda_secret = {
      title       = "tienda-secrets-only"
      description = "Read per-merchant secrets (tienda-<id>-<name>) only."
      expression  = "resource.name.startsWith(\"${local.tienda_secret_prefix}\")"
    }
    page_tokens = {
      title       = "tienda-page-tokens-only"
      description = "Read per-merchant Page tokens (tienda-<id>-meta-page-token) only."
      expression  = "resource.name.startsWith(\"${local.tienda_secret_prefix}\") && resource.name.endsWith(\"-meta-page-token/versions/latest\")"
    }
  }
  tienda_secret_readers = {
    ingress  = "every_tienda_secret"
    worker   = "every_tienda_secret"
    notifier = "page_tokens"
  }
}

resource "google_project_iam_member" "runtime_tienda_secret_accessor" {
  for_each = local.tienda_secret_readers

  project = var.project_id
  role    = "roles/secretmanager.secretAccessor"
  member  = "serviceAccount:${google_service_account.runtime[each.key].email}"

  condition {
    title       = local.tienda_secret_conditions[each.value].title
    description = local.tienda_secret_conditions[each.value].description
    expression  = local.tienda_secret_conditions[each.value].expression
  }
}

# Gemini through Vertex AI with the worker's own identity instead of an API key (GEMINI_USE_VERTEX).
resource "google_project_iam_member" "worker_vertex_user" {
  count = var.gemini_use_vertex ? 1 : 0

  project = var.project_id
  role    = "roles/aiplatform.user"
  member  = "serviceAccount:${google_service_account.runtime["worker"].email}"
}
