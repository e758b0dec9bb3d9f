variable "project_id" {
  type        = string
  description = "Project the service runs in."
}

variable "region" {
  type        = string
  description = "Cloud Run region, e.g. southamerica-east1."
}

variable "name" {
  type        = string
  description = "Service name (ingress, worker, notifier). Part of the service URL."
}

variable "image" {
  type        = string
  description = "Container image the service is created with. Every later image is deployed by the pipeline (cloudbuild.yaml); Terraform ignores image changes, and only those."
}

variable "args" {
  type        = list(string)
  description = "Arguments to the image's `node` entrypoint: the service's main, e.g. [\"dist/services/worker/main.js\"]."
}

variable "env" {
  type        = map(string)
  description = "Plain environment variables. Secrets are not passed here: the code reads Secret Manager at runtime (cached, refreshed on rotation)."
  default     = {}

  validation {
    condition     = !contains(keys(var.env), "PORT")
    error_message = "PORT is set by Cloud Run and must not be overridden."
  }
}

variable "service_account_email" {
  type        = string
  description = "The service's own runtime service account (one per service)."
}

variable "min_instances" {
  type        = number
  description = "Instances kept warm (0 = scale to zero)."
  default     = 0
}

variable "max_instances" {
  type        = number
  description = "Upper bound on instances: a cost and downstream-quota safety limit."
  default     = 10
}

variable "concurrency" {
  type        = number
  description = "Requests one instance handles at once."
  default     = 80
}

variable "timeout_seconds" {
  type        = number
  description = "Request timeout. For push consumers it must be at least the subscriptions' ack deadline, or Cloud Run cuts a request Pub/Sub is still waiting on."
  default     = 60
}

variable "cpu" {
  type        = string
  description = "CPU limit per instance, e.g. \"1\"."
  default     = "1"
}

variable "memory" {
  type        = string
  description = "Memory limit per instance, e.g. \"512Mi\"."
  default     = "512Mi"
}

variable "cpu_idle" {
  type        = bool
  description = "true = CPU only while handling requests. Safe here: every publish and write is awaited before the response."
  default     = true
}

variable "ingress" {
  type        = string
  description = "Network ingress. INGRESS_TRAFFIC_INTERNAL_ONLY (default) admits Pub/Sub push and Cloud Scheduler of the same project on the run.app URL and refuses the internet; INGRESS_TRAFFIC_ALL only for a service the internet must reach (the webhook ingress)."
  default     = "INGRESS_TRAFFIC_INTERNAL_ONLY"

  validation {
    condition     = contains(["INGRESS_TRAFFIC_ALL", "INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"], var.ingress)
    error_message = "ingress must be INGRESS_TRAFFIC_ALL, INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER."
  }
}

variable "public" {
  type        = bool
  description = "Grant run.invoker to allUsers on this service (only the webhook ingress)."
  default     = false
}

variable "invoker_members" {
  type        = list(string)
  description = "Members granted run.invoker on this service only (the push account for worker and notifier, the scheduler account for the worker)."
  default     = []
}

variable "developer_members" {
  type        = list(string)
  description = "Members granted run.developer on this service only (the Cloud Build deployer)."
  default     = []
}

variable "custom_audiences" {
  type        = list(string)
  description = "Extra OIDC audiences Cloud Run accepts for this service (the deterministic URL used as push audience)."
  default     = []
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse `terraform destroy` of the service."
  default     = true
}

variable "labels" {
  type        = map(string)
  description = "Labels on the service and its revisions."
  default     = {}
}
