variable "project_id" {
  type        = string
  description = "Project that owns the secrets."
}

variable "secrets" {
  type        = map(list(string))
  description = "Secret id → IAM members allowed to read it (secretAccessor on that secret only)."

  validation {
    condition     = alltrue([for id in keys(var.secrets) : can(regex("^[A-Za-z0-9_-]{1,255}$", id))])
    error_message = "Secret ids may only contain letters, digits, - and _ (max 255)."
  }

  validation {
    condition     = alltrue([for id in keys(var.secrets) : !startswith(id, "tienda-")])
    error_message = "tienda-* secrets are per merchant and created at onboarding, not by Terraform."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels on every secret."
  default     = {}
}
