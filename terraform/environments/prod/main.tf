# Production: provider production hosts, a warm ingress and worker, everything deletion-protected.
module "livestreamsell" {
  source = "../../modules/livestreamsell"

  project_id                          = var.project_id
  region                              = var.region
  environment                         = "prod"
  initial_image                       = var.initial_image
  firestore_location                  = var.firestore_location
  create_firestore_database           = var.create_firestore_database
  bigquery_location                   = var.bigquery_location
  analytics_schemas_dir               = "${path.root}/../../../shared/analytics/tables"
  analytics_partition_expiration_days = 730
  gemini_use_vertex                   = var.gemini_use_vertex
  dead_letter_operators               = var.dead_letter_operators
  analytics_readers                   = var.analytics_readers
  notification_channels               = var.notification_channels
  github_trigger                      = var.github_trigger
  payment_return_url                  = var.payment_return_url
  flow_payer_email                    = var.flow_payer_email
  log_level                           = "INFO"
  deletion_protection                 = true

  # The worker stays warm for incoming_comments (high priority). The ingress also keeps one instance: Meta
  # delivers a live's comments in bursts and its webhook retries back off, so a cold start there delays replies.
  scaling = {
    ingress  = { min_instances = 1, max_instances = 20 }
    worker   = { min_instances = 2, max_instances = 40 }
    notifier = { min_instances = 0, max_instances = 20 }
  }

  provider_urls = {
    meta_graph  = "https://graph.facebook.com/v21.0"
    mercadopago = "https://api.mercadopago.com"
    flow        = "https://www.flow.cl/api"
    paypal      = "https://api-m.paypal.com"
  }
}
