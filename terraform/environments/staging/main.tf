# Staging: sandbox hosts of the payment providers, scaled down except the worker, deletable.
module "livestreamsell" {
  source = "../../modules/livestreamsell"

  project_id                = var.project_id
  region                    = var.region
  environment               = "staging"
  initial_image             = var.initial_image
  firestore_location        = var.firestore_location
  create_firestore_database = var.create_firestore_database
  bigquery_location         = var.bigquery_location
  analytics_schemas_dir     = "${path.root}/../../../shared/analytics/tables"
  gemini_use_vertex         = var.gemini_use_vertex
  dead_letter_operators     = var.dead_letter_operators
  analytics_readers         = var.analytics_readers
  notification_channels     = var.notification_channels
  github_trigger            = var.github_trigger
  payment_return_url        = var.payment_return_url
  flow_payer_email          = var.flow_payer_email
  log_level                 = "DEBUG"
  deletion_protection       = false

  # Staging keeps one warm worker too: latency tests of the comment → reply path must see production behaviour.
  scaling = {
    ingress  = { min_instances = 0, max_instances = 3 }
    worker   = { min_instances = 1, max_instances = 5 }
    notifier = { min_instances = 0, max_instances = 3 }
  }

  provider_urls = {
    meta_graph  = "https://graph.facebook.com/v21.0"
    mercadopago = "https://api.mercadopago.com" # test credentials select the sandbox
    flow        = "https://sandbox.flow.cl/api"
    paypal      = "https://api-m.sandbox.paypal.com"
  }
}
