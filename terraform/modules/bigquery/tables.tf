# The analytics tables, as in shared/analytics/tables/index.ts (ANALYTICS_TABLES, ANALYTICS_PARTITION_TYPE).
# The column schemas are not copied: each table reads the same JSON file the code uses (var.schemas_dir).
# tests/unit/terraform.test.ts compares this map with the code.
locals {
  partition_type = "DAY"

  tables = {
    comments = {
      schema_file     = "comments.json"
      partition_field = "received_at"
      clustering      = ["tienda_id", "live_id"]
    }
    intents = {
      schema_file     = "intents.json"
      partition_field = "created_at"
      clustering      = ["tienda_id", "live_id"]
    }
    orders = {
      schema_file     = "orders.json"
      partition_field = "created_at"
      clustering      = ["tienda_id", "live_id"]
    }
    payments = {
      schema_file     = "payments.json"
      partition_field = "created_at"
      clustering      = ["tienda_id", "live_id"]
    }
    notifications = {
      schema_file     = "notifications.json"
      partition_field = "created_at"
      clustering      = ["tienda_id", "live_id"]
    }
    dead_letters = {
      schema_file     = "dead_letters.json"
      partition_field = "dead_lettered_at"
      clustering      = ["tienda_id"]
    }
    live_metrics = {
      schema_file     = "live_metrics.json"
      partition_field = "window_start"
      clustering      = ["tienda_id", "live_id"]
    }
  }
}
