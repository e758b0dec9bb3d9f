variable "project_id" {
  type        = string
  description = "Project of this environment (one project per environment: topic and service names are the same in every environment)."
}

variable "region" {
  type        = string
  description = "Region of the Cloud Run services and the image repository."
}

variable "environment" {
  type        = string
  description = "Environment name, used in labels and the trigger name."

  validation {
    condition     = contains(["staging", "prod"], var.environment)
    error_message = "environment must be staging or prod."
  }
}

variable "initial_image" {
  type        = string
  description = "Image the services are created with (the bootstrap image, docs/deploy.md). The pipeline deploys every later image; Terraform ignores image changes, and only those."
}

variable "scaling" {
  type = object({
    ingress  = object({ min_instances = number, max_instances = number })
    worker   = object({ min_instances = number, max_instances = number })
    notifier = object({ min_instances = number, max_instances = number })
  })
  description = "Instance bounds per service."
  default = {
    ingress  = { min_instances = 0, max_instances = 10 }
    worker   = { min_instances = 1, max_instances = 20 }
    notifier = { min_instances = 0, max_instances = 10 }
  }

  validation {
    # incoming_comments (the comment → private reply path during a live) is high priority: no cold starts.
    condition     = var.scaling.worker.min_instances >= 1
    error_message = "The worker serves the high-priority incoming_comments path: keep min_instances >= 1."
  }

  validation {
    condition = alltrue([
      for s in [var.scaling.ingress, var.scaling.worker, var.scaling.notifier] : s.max_instances >= s.min_instances && s.max_instances >= 1
    ])
    error_message = "max_instances must be at least 1 and at least min_instances."
  }
}

variable "log_level" {
  type        = string
  description = "LOG_LEVEL of every service (DEBUG, INFO, NOTICE, WARNING, ERROR)."
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "NOTICE", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be one of DEBUG, INFO, NOTICE, WARNING, ERROR."
  }
}

variable "retry_schedule" {
  type        = string
  description = "RETRY_SCHEDULE of the push consumers: delays of the retries after a transient failure. The product owner's schedule (DESIGN §3)."
  default     = "10s,1m,5m,15m,1h"
}

variable "provider_urls" {
  type = object({
    meta_graph  = string
    mercadopago = string
    flow        = string
    paypal      = string
  })
  description = "Base URLs of the outside APIs: sandbox hosts in staging, production hosts in prod."
}

variable "payment_return_url" {
  type        = string
  description = "Worker PAYMENT_RETURN_URL: where the provider sends the buyer after paying. Flow and PayPal links are refused without it; null = not set (Mercado Pago tiendas only)."
  default     = null

  validation {
    condition     = var.payment_return_url == null || can(regex("^https://", var.payment_return_url))
    error_message = "payment_return_url must be an https:// URL."
  }
}

variable "flow_payer_email" {
  type        = string
  description = "Worker FLOW_PAYER_EMAIL: payer email Flow's payment/create requires (Meta gives no buyer email). Flow links are refused without it; null = not set."
  default     = null
}

variable "reservation_ttl" {
  type        = string
  description = "Worker RESERVATION_TTL: how long a reserved item waits for its payment before the expire-reservations job releases it (e.g. 30m, 1h)."
  default     = "30m"

  validation {
    condition     = can(regex("^[0-9]+(ms|s|m|h)$", var.reservation_ttl))
    error_message = "reservation_ttl must be a duration such as 30m, 45m or 1h."
  }
}

variable "scheduler_region" {
  type        = string
  description = "Region of the Cloud Scheduler jobs; null = var.region. Only for a Cloud Run region Cloud Scheduler does not serve."
  default     = null
}

variable "service_env" {
  type = object({
    ingress  = map(string)
    worker   = map(string)
    notifier = map(string)
  })
  description = "Extra environment variables per service (e.g. model names). Must be settings the service's config declares."
  default = {
    ingress  = {}
    worker   = {}
    notifier = {}
  }
}

variable "gemini_use_vertex" {
  type        = bool
  description = "Worker calls Gemini through Vertex AI with its service account (grants roles/aiplatform.user) instead of the gemini-api-key secret."
  default     = false
}

variable "firestore_location" {
  type        = string
  description = "Firestore location (fixed at creation)."
}

variable "create_firestore_database" {
  type        = bool
  description = "Create the (default) Firestore database; false if the project already has one."
  default     = true
}

variable "bigquery_location" {
  type        = string
  description = "Location of the analytics dataset."
}

variable "bigquery_dataset_id" {
  type        = string
  description = "Analytics dataset id (the services' BIGQUERY_DATASET; the code's default is livestreamsell)."
  default     = "livestreamsell"
}

variable "analytics_schemas_dir" {
  type        = string
  description = "Path of shared/analytics/tables (the table schema JSON files), relative to the directory Terraform runs in."
}

variable "analytics_partition_expiration_days" {
  type        = number
  description = "Drop analytics partitions older than this (null = keep forever)."
  default     = null
}

variable "analytics_readers" {
  type        = list(string)
  description = "Members that may read the analytics dataset (dashboards, analysts)."
  default     = []
}

variable "dead_letter_operators" {
  type        = list(string)
  description = "Members who list and replay dead letters with `npm run dlq` (e.g. group:oncall@example.com)."
  default     = []
}

variable "artifact_repository" {
  type        = string
  description = "Artifact Registry repository id for the image (cloudbuild.yaml's _REPOSITORY)."
  default     = "livestreamsell"
}

variable "github_trigger" {
  type = object({
    owner        = string
    repository   = string
    branch_regex = optional(string)
    tag_regex    = optional(string)
  })
  description = "GitHub repository whose pushes to a branch (branch_regex) or tags (tag_regex) run cloudbuild.yaml: exactly one of the two. null = no trigger."
  default     = null

  validation {
    # Cloud Build's push filter takes a branch or a tag, never both (and needs one).
    condition     = var.github_trigger == null ? true : (var.github_trigger.branch_regex == null) != (var.github_trigger.tag_regex == null)
    error_message = "github_trigger: set exactly one of branch_regex (staging: \"^main$\") or tag_regex (prod: release tags)."
  }
}

variable "notification_channels" {
  type        = list(string)
  description = "Cloud Monitoring notification channels (projects/<project>/notificationChannels/<id>) every alert policy notifies (alerts.tf, ../pubsub/alerts.tf). [] = incidents show in the console only."
  default     = []
}

variable "deletion_protection" {
  type        = bool
  description = "Protect services, tables and the Firestore database from `terraform destroy`."
  default     = true
}

variable "labels" {
  type        = map(string)
  description = "Extra labels on every labelled resource."
  default     = {}
}
