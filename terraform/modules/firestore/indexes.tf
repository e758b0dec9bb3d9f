# The composite indexes the order queries need (services/worker/orders/order-store.ts, ORDER_INDEXES). The emulator
# needs none, so only production would find one missing — as a FAILED_PRECONDITION on the query, at the worst
# moment (a live's allocation or the expiry job). tests/unit/terraform.test.ts compares this map with ORDER_INDEXES
# field by field. Keys only name the Terraform instances; an index is immutable, so changing one replaces it.
locals {
  composite_indexes = {
    orders_alloc_pending = {
      collection = "orders"
      fields = [
        { field_path = "live_key", order = "ASCENDING" },
        { field_path = "alloc_pending", order = "ASCENDING" },
        { field_path = "alloc_order", order = "ASCENDING" },
      ]
    }
    orders_waitlist = {
      collection = "orders"
      fields = [
        { field_path = "live_key", order = "ASCENDING" },
        { field_path = "waitlisted", order = "ASCENDING" },
        { field_path = "alloc_order", order = "ASCENDING" },
      ]
    }
    orders_overdue = {
      collection = "orders"
      fields = [
        { field_path = "status", order = "ASCENDING" },
        { field_path = "expires_at", order = "ASCENDING" },
      ]
    }
    orders_promotions_pending_delivery = {
      collection = "orders"
      fields = [
        { field_path = "live_key", order = "ASCENDING" },
        { field_path = "promoted", order = "ASCENDING" },
        { field_path = "delivery_pending", order = "ASCENDING" },
      ]
    }
    orders_buyer = {
      collection = "orders"
      fields = [
        { field_path = "live_key", order = "ASCENDING" },
        { field_path = "buyer.author_id", order = "ASCENDING" },
      ]
    }
  }
}

resource "google_firestore_index" "composite" {
  for_each = local.composite_indexes

  project     = var.project_id
  database    = local.database_name
  collection  = each.value.collection
  query_scope = "COLLECTION"

  # Firestore appends `__name__` in the last field's direction itself (the provider documents and expects it).
  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path = fields.value.field_path
      order      = fields.value.order
    }
  }
}
