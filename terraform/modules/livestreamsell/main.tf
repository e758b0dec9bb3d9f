# The whole pipeline for one environment: three Cloud Run services from one image, the Pub/Sub topology, the
# worker's Cloud Scheduler jobs, the analytics dataset, Firestore's TTL policy and indexes, and the platform
# secrets. environments/<env> only call this.

locals {
  labels = merge(var.labels, { app = "livestreamsell", environment = var.environment })

  # Deterministic service URLs (https://SERVICE-PROJECT_NUMBER.REGION.run.app), known before the services exist.
  # They are the push endpoints' base and the OIDC audience, and each consumer is told its own URL as
  # PUSH_AUTH_AUDIENCE — no dependency cycle between a service and its own URL. cloudbuild.yaml computes the same
  # URLs for `npm run provision`, so provisioning converges to exactly what Terraform declares.
  service_urls = {
    for name in ["ingress", "worker", "notifier"] :
    name => "https://${name}-${data.google_project.this.number}.${var.region}.run.app"
  }

  # Settings every service reads (shared/config/common-settings.ts).
  common_env = {
    GOOGLE_CLOUD_PROJECT = var.project_id
    SECRETS_SOURCE       = "secret-manager"
    LOG_LEVEL            = var.log_level
  }

  # Push consumers (worker, notifier) verify the OIDC token Pub/Sub signs as the push service account.
  push_env = {
    PUSH_AUTH_ENABLED          = "true"
    PUSH_AUTH_SERVICE_ACCOUNTS = google_service_account.push.email
    RETRY_SCHEDULE             = var.retry_schedule
  }

  # The worker's request timeout. It must exceed the longest ack deadline of its subscriptions (ai_processing:
  # 60 s), and it is the attempt deadline of its Cloud Scheduler jobs (scheduler.tf).
  worker_timeout_seconds = 120

  # Payment-link settings only some tiendas need (Flow / PayPal refuse links without them): set only when given,
  # so an unset variable leaves the code's "not configured" instead of an empty string.
  worker_optional_env = {
    for name, value in {
      PAYMENT_RETURN_URL = var.payment_return_url
      FLOW_PAYER_EMAIL   = var.flow_payer_email
    } : name => value if value != null
  }
}

module "ingress" {
  source = "../cloud-run-service"

  project_id            = var.project_id
  region                = var.region
  name                  = "ingress"
  image                 = var.initial_image
  args                  = ["dist/services/ingress/main.js"]
  service_account_email = google_service_account.runtime["ingress"].email
  min_instances         = var.scaling.ingress.min_instances
  max_instances         = var.scaling.ingress.max_instances
  concurrency           = 80
  timeout_seconds       = 30
  memory                = "512Mi"
  # Webhooks come from Meta, Mercado Pago, Flow and PayPal: the service is public and authenticates every request
  # by its provider signature (or the /events HMAC).
  ingress             = "INGRESS_TRAFFIC_ALL"
  public              = true
  developer_members   = ["serviceAccount:${google_service_account.deployer.email}"]
  deletion_protection = var.deletion_protection
  labels              = local.labels
  env = merge(local.common_env, {
    META_GRAPH_URL      = var.provider_urls.meta_graph
    MERCADOPAGO_API_URL = var.provider_urls.mercadopago
    FLOW_API_URL        = var.provider_urls.flow
    PAYPAL_API_URL      = var.provider_urls.paypal
  }, var.service_env.ingress)

  depends_on = [google_project_service.enabled, module.secrets, google_project_iam_member.runtime_firestore_user, google_project_iam_member.runtime_tienda_secret_accessor]
}

module "worker" {
  source = "../cloud-run-service"

  project_id            = var.project_id
  region                = var.region
  name                  = "worker"
  image                 = var.initial_image
  args                  = ["dist/services/worker/main.js"]
  service_account_email = google_service_account.runtime["worker"].email
  # incoming_comments is the high-priority path (a buyer typed "quiero la roja" during a live and waits for the
  # private reply): at least one warm instance so the first comment of a burst never pays a cold start (Node +
  # gRPC clients + catalog load). var.scaling enforces min_instances >= 1 for the worker.
  min_instances = var.scaling.worker.min_instances
  max_instances = var.scaling.worker.max_instances
  # Mostly waiting on Gemini / Firestore: I/O bound, so several requests per instance.
  concurrency     = 40
  timeout_seconds = local.worker_timeout_seconds
  memory          = "1Gi"
  # Only Pub/Sub push and Cloud Scheduler of this project call it: both count as internal on the run.app URL.
  ingress = "INGRESS_TRAFFIC_INTERNAL_ONLY"
  # Pub/Sub pushes as the push account, Cloud Scheduler calls the jobs as the scheduler account (scheduler.tf).
  invoker_members = [
    "serviceAccount:${google_service_account.push.email}",
    "serviceAccount:${google_service_account.scheduler.email}",
  ]
  developer_members   = ["serviceAccount:${google_service_account.deployer.email}"]
  custom_audiences    = [local.service_urls.worker]
  deletion_protection = var.deletion_protection
  labels              = local.labels
  env = merge(local.common_env, local.push_env, {
    PUSH_AUTH_AUDIENCE = local.service_urls.worker
    # The jobs pass the same OIDC check as the pushes: the worker also accepts the scheduler account.
    PUSH_AUTH_SERVICE_ACCOUNTS = "${google_service_account.push.email},${google_service_account.scheduler.email}"
    BIGQUERY_DATASET           = module.bigquery.dataset_id
    GEMINI_USE_VERTEX          = var.gemini_use_vertex ? "true" : "false"
    # Payment links (shared/payments): the same provider hosts as the ingress, and the ingress's public URL, where
    # providers send `<url>/webhooks/<provider>/<tienda_id>` for the links the worker creates.
    MERCADOPAGO_API_URL = var.provider_urls.mercadopago
    FLOW_API_URL        = var.provider_urls.flow
    PAYPAL_API_URL      = var.provider_urls.paypal
    INGRESS_PUBLIC_URL  = local.service_urls.ingress
    RESERVATION_TTL     = var.reservation_ttl
  }, local.worker_optional_env, var.service_env.worker)

  # The worker reads its LLM keys at start and exits when it may not (PERMISSION_DENIED; a key with no version
  # yet is fine): its first revision must not start before its grants exist. A create that fails leaves a tainted
  # service that deletion_protection will not let Terraform replace (docs/deploy.md, "First apply").
  depends_on = [
    google_project_service.enabled,
    module.secrets,
    google_project_iam_member.runtime_firestore_user,
    google_project_iam_member.runtime_tienda_secret_accessor,
    google_project_iam_member.worker_vertex_user,
  ]
}

module "notifier" {
  source = "../cloud-run-service"

  project_id            = var.project_id
  region                = var.region
  name                  = "notifier"
  image                 = var.initial_image
  args                  = ["dist/services/notifier/main.js"]
  service_account_email = google_service_account.runtime["notifier"].email
  min_instances         = var.scaling.notifier.min_instances
  max_instances         = var.scaling.notifier.max_instances
  concurrency           = 40
  # Must exceed the ack deadline of notification_delivery (30 s).
  timeout_seconds = 60
  memory          = "512Mi"
  # Only Pub/Sub push of this project calls it: internal on the run.app URL.
  ingress             = "INGRESS_TRAFFIC_INTERNAL_ONLY"
  invoker_members     = ["serviceAccount:${google_service_account.push.email}"]
  developer_members   = ["serviceAccount:${google_service_account.deployer.email}"]
  custom_audiences    = [local.service_urls.notifier]
  deletion_protection = var.deletion_protection
  labels              = local.labels
  env = merge(local.common_env, local.push_env, {
    PUSH_AUTH_AUDIENCE = local.service_urls.notifier
    BIGQUERY_DATASET   = module.bigquery.dataset_id
    META_GRAPH_URL     = var.provider_urls.meta_graph
  }, var.service_env.notifier)

  depends_on = [google_project_service.enabled, module.secrets, google_project_iam_member.runtime_firestore_user, google_project_iam_member.runtime_tienda_secret_accessor]
}

module "pubsub" {
  source = "../pubsub"

  project_id     = var.project_id
  project_number = data.google_project.this.number
  service_urls = {
    worker   = local.service_urls.worker
    notifier = local.service_urls.notifier
  }
  push_service_account_email  = google_service_account.push.email
  service_account_emails      = { for name, sa in google_service_account.runtime : name => sa.email }
  dead_letter_operators       = var.dead_letter_operators
  alert_notification_channels = var.notification_channels
  labels                      = local.labels

  depends_on = [google_project_service.enabled]
}

module "bigquery" {
  source = "../bigquery"

  project_id                = var.project_id
  dataset_id                = var.bigquery_dataset_id
  location                  = var.bigquery_location
  schemas_dir               = var.analytics_schemas_dir
  partition_expiration_days = var.analytics_partition_expiration_days
  writer_members = [
    "serviceAccount:${google_service_account.runtime["worker"].email}",
    "serviceAccount:${google_service_account.runtime["notifier"].email}",
  ]
  reader_members      = var.analytics_readers
  deletion_protection = var.deletion_protection
  labels              = local.labels

  depends_on = [google_project_service.enabled]
}

module "firestore" {
  source = "../firestore"

  project_id          = var.project_id
  location            = var.firestore_location
  create_database     = var.create_firestore_database
  deletion_protection = var.deletion_protection

  depends_on = [google_project_service.enabled]
}

module "secrets" {
  source = "../secrets"

  project_id = var.project_id
  labels     = local.labels
  # Platform secrets (DESIGN §5) and who reads each one. Ids are the ones the code asks Secret Manager for;
  # the Terraform test fails if the code reads a platform secret that is not declared here.
  secrets = {
    "meta-app-secret"    = ["serviceAccount:${google_service_account.runtime["ingress"].email}"]
    "meta-verify-token"  = ["serviceAccount:${google_service_account.runtime["ingress"].email}"]
    "paypal-webhook-id"  = ["serviceAccount:${google_service_account.runtime["ingress"].email}"]
    "events-hmac-secret" = ["serviceAccount:${google_service_account.runtime["ingress"].email}"]
    "gemini-api-key"     = ["serviceAccount:${google_service_account.runtime["worker"].email}"]
    "openai-api-key"     = ["serviceAccount:${google_service_account.runtime["worker"].email}"]
    "openrouter-api-key" = ["serviceAccount:${google_service_account.runtime["worker"].email}"]
  }

  depends_on = [google_project_service.enabled]
}
