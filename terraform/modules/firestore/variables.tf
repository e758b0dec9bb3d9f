variable "project_id" {
  type        = string
  description = "Project of the Firestore database."
}

variable "location" {
  type        = string
  description = "Firestore location (cannot change after creation), e.g. southamerica-east1 or nam5."
}

variable "database_name" {
  type        = string
  description = "Database id; the services use the default database."
  default     = "(default)"
}

variable "create_database" {
  type        = bool
  description = "Create the database. false when the project already has one (only the TTL policy and the indexes are managed then)."
  default     = true
}

variable "deletion_protection" {
  type        = bool
  description = "Enable Firestore delete protection on the database."
  default     = true
}
