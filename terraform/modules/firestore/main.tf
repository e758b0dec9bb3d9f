# Firestore in Native mode. Collections need no declaration (idempotency_keys, tiendas, meta_accounts, orders, …);
# what Terraform must own is the TTL policy that expires old idempotency keys (DESIGN §4) and the composite indexes
# of the order queries (indexes.tf).

locals {
  database_name = var.create_database ? google_firestore_database.this[0].name : var.database_name
}

resource "google_firestore_database" "this" {
  count = var.create_database ? 1 : 0

  project                 = var.project_id
  name                    = var.database_name
  location_id             = var.location
  type                    = "FIRESTORE_NATIVE"
  concurrency_mode        = "OPTIMISTIC"
  delete_protection_state = var.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  deletion_policy         = "ABANDON"
}

# shared/idempotency/idempotency-store.ts writes `expires_at` (a Timestamp) on every key it claims or completes;
# Firestore deletes the document some time (typically within a day) after that instant. The field is excluded
# from single-field indexing: nothing queries it, and an index on an ever-increasing timestamp is a write hotspot.
resource "google_firestore_field" "idempotency_keys_ttl" {
  project    = var.project_id
  database   = local.database_name
  collection = "idempotency_keys"
  field      = "expires_at"

  ttl_config {}

  index_config {}
}
