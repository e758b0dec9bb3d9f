# secretAccessor per secret, only for the services that read it (house style 13).
locals {
  accessor_grants = {
    for pair in flatten([
      for secret_id, members in var.secrets : [for member in members : { secret_id = secret_id, member = member }]
    ]) : "${pair.secret_id}/${pair.member}" => pair
  }
}

resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each = local.accessor_grants

  project   = var.project_id
  secret_id = google_secret_manager_secret.this[each.value.secret_id].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = each.value.member
}
