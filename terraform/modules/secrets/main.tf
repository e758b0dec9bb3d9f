# Secret containers only. Values are never in Terraform (they would land in the state file in clear text):
# an operator adds versions with `gcloud secrets versions add <id> --data-file=-`.
#
# Per-tienda secrets (`tienda-<tienda_id>-<name>`) are created at merchant onboarding, not here; read access to
# them is a conditional grant on the `tienda-` prefix (see ../livestreamsell/iam.tf).

resource "google_secret_manager_secret" "this" {
  for_each = var.secrets

  project   = var.project_id
  secret_id = each.key
  labels    = var.labels

  replication {
    auto {}
  }
}
