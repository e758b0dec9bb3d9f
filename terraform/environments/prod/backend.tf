# State lives in a GCS bucket created once per environment (docs/deploy.md, "Bootstrap"). A backend block cannot
# read variables, so the bucket is given at init time:
#   terraform -chdir=terraform/environments/prod init -backend-config="bucket=<state-bucket>"
terraform {
  backend "gcs" {
    prefix = "livestreamsell/prod"
  }
}
