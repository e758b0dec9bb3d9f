variable "project_id" {
  type        = string
  description = "Project that owns the topics and subscriptions."
}

variable "project_number" {
  type        = string
  description = "Project number, used to name the Google-managed Pub/Sub service agent (service-<number>@gcp-sa-pubsub.iam.gserviceaccount.com)."
}

variable "service_urls" {
  type        = map(string)
  description = "Base URL of each push-consuming service, keyed by service name (worker, notifier). Push endpoint = URL + path; OIDC audience = URL. Must be the origin, without a trailing slash."

  validation {
    condition     = alltrue([for url in values(var.service_urls) : can(regex("^https://[^/]+$", url))])
    error_message = "service_urls must be https origins without a path or trailing slash (the OIDC audience must equal PUSH_AUTH_AUDIENCE exactly)."
  }
}

variable "push_service_account_email" {
  type        = string
  description = "Service account Pub/Sub signs push requests as (OIDC). Only it holds run.invoker on the consumer services."
}

variable "service_account_emails" {
  type        = map(string)
  description = "Runtime service account of each service (ingress, worker, notifier): publishers on the topics they feed, retry and dead-letter topics."
}

variable "dead_letter_operators" {
  type        = list(string)
  description = "IAM members (e.g. group:oncall@example.com) who list and replay dead letters: subscriber on the hold subscriptions, publisher on the main topics."
  default     = []
}

variable "topic_message_retention" {
  type        = string
  description = "How long the main topics keep messages for seek/replay (duration in seconds, e.g. 86400s)."
  default     = "86400s"
}

variable "subscription_message_retention" {
  type        = string
  description = "How long push subscriptions keep unacked messages (max 7 days)."
  default     = "604800s"
}

variable "labels" {
  type        = map(string)
  description = "Labels put on every topic and subscription."
  default     = {}
}

variable "alert_notification_channels" {
  type        = list(string)
  description = "Cloud Monitoring notification channels (projects/<project>/notificationChannels/<id>) the topology's alert policies notify. [] = incidents show in the console only."
  default     = []
}
