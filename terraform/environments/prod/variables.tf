variable "project_id" {
  type        = string
  description = "Google Cloud project of this environment."
}

variable "region" {
  type        = string
  description = "Region of the Cloud Run services and the image repository."
  default     = "southamerica-east1"
}

variable "initial_image" {
  type        = string
  description = "Image the services are first created with (docs/deploy.md, Bootstrap). Later images come from Cloud Build."
}

variable "firestore_location" {
  type        = string
  description = "Firestore location, fixed at creation."
  default     = "southamerica-east1"
}

variable "create_firestore_database" {
  type        = bool
  description = "false if the project already has a (default) Firestore database."
  default     = true
}

variable "bigquery_location" {
  type        = string
  description = "Location of the analytics dataset."
  default     = "southamerica-east1"
}

variable "gemini_use_vertex" {
  type        = bool
  description = "Call Gemini through Vertex AI with the worker's service account instead of an API key."
  default     = false
}

variable "dead_letter_operators" {
  type        = list(string)
  description = "Members who list and replay dead letters with `npm run dlq` (e.g. group:oncall@example.com)."
  default     = []
}

variable "analytics_readers" {
  type        = list(string)
  description = "Members allowed to read the analytics dataset."
  default     = []
}

variable "github_trigger" {
  type = object({
    owner        = string
    repository   = string
    branch_regex = optional(string)
    tag_regex    = optional(string)
  })
  description = "GitHub repository whose pushes (branch_regex) or tags (tag_regex, exactly one of the two) run cloudbuild.yaml in this environment; null = no trigger."
  default     = null
}

variable "payment_return_url" {
  type        = string
  description = "Where the payment provider sends the buyer after paying (https). Required before any Flow or PayPal tienda sells; null = not set."
  default     = null
}

variable "flow_payer_email" {
  type        = string
  description = "Payer email sent to Flow with every payment (Flow requires one; Meta gives none). Required before any Flow tienda sells; null = not set."
  default     = null
}

variable "notification_channels" {
  type        = list(string)
  description = "Cloud Monitoring notification channels (projects/<project>/notificationChannels/<id>) the alert policies notify; [] = incidents in the console only."
  default     = []
}
