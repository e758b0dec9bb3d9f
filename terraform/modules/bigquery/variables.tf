variable "project_id" {
  type        = string
  description = "Project that owns the dataset."
}

variable "dataset_id" {
  type        = string
  description = "Dataset id. The services get it as BIGQUERY_DATASET."
}

variable "location" {
  type        = string
  description = "BigQuery location of the dataset (e.g. US, southamerica-east1)."
}

variable "schemas_dir" {
  type        = string
  description = "Folder holding the table schema JSON files: shared/analytics/tables of this repository, relative to the directory Terraform runs in."
}

variable "partition_expiration_days" {
  type        = number
  description = "Drop partitions older than this many days (null = keep). Comments hold personal data: set a retention that matches the privacy policy."
  default     = null
}

variable "writer_members" {
  type        = list(string)
  description = "Members that stream rows into the tables (the services that write analytics)."
  default     = []
}

variable "reader_members" {
  type        = list(string)
  description = "Members that may read the tables (dashboards, analysts)."
  default     = []
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete tables on `terraform destroy`."
  default     = true
}

variable "labels" {
  type        = map(string)
  description = "Labels on the dataset and tables."
  default     = {}
}
