terraform {
  required_version = ">= 1.6"
  required_providers {
    google = {
      source = "hashicorp/google"
      # 6.13: service account emails are known at plan time (for_each over them); < 7: no major upgrade unplanned.
      version = ">= 6.13, < 7"
    }
  }
}
