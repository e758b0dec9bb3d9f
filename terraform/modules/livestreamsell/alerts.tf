# Cloud Monitoring alert policies for the services and the worker's jobs (the topology's are in ../pubsub/alerts.tf):
# operators hear about trouble before merchants do (docs/deploy.md, "Alerts"). Every policy notifies
# var.notification_channels.
locals {
  alerted_services = ["ingress", "worker", "notifier"]

  # Share of 5xx answers over 5 minutes. A push consumer answers 5xx only when it could not even schedule a retry
  # (429 is "not due yet", 204 "done or scheduled"), and the ingress when it could not publish: both mean trouble.
  alert_5xx_ratio = 0.05

  # p95 request latency (ms) above which a service is in trouble, each well below its request timeout (main.tf):
  # the ingress only verifies and publishes (Meta and the payment providers retry slow webhooks); the worker
  # waits on LLMs within its subscriptions' ack deadlines (30 / 60 s); the notifier on the Graph API.
  alert_p95_latency_ms = {
    ingress  = 5000
    worker   = 30000
    notifier = 20000
  }
}

resource "google_monitoring_alert_policy" "service_5xx" {
  for_each = toset(local.alerted_services)

  project               = var.project_id
  display_name          = "${each.key}: 5xx above ${local.alert_5xx_ratio * 100} %"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "${each.key} 5xx / all requests over 5 min"
    condition_threshold {
      filter             = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"${each.key}\" AND metric.type = \"run.googleapis.com/request_count\" AND metric.labels.response_code_class = \"5xx\""
      denominator_filter = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"${each.key}\" AND metric.type = \"run.googleapis.com/request_count\""
      comparison         = "COMPARISON_GT"
      threshold_value    = local.alert_5xx_ratio
      duration           = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.labels.service_name"]
      }
      denominator_aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.labels.service_name"]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "${each.key} answers 5xx to more than ${local.alert_5xx_ratio * 100} % of requests. Its logs (`resource.labels.service_name=\"${each.key}\" severity>=ERROR`) name the failing dependency; a failed dependency is a 503 by design, so look there first."
  }

  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_alert_policy" "service_latency" {
  for_each = toset(local.alerted_services)

  project               = var.project_id
  display_name          = "${each.key}: p95 latency above ${local.alert_p95_latency_ms[each.key]} ms"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "${each.key} p95 request latency over 5 min"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"${each.key}\" AND metric.type = \"run.googleapis.com/request_latencies\""
      comparison      = "COMPARISON_GT"
      threshold_value = local.alert_p95_latency_ms[each.key]
      duration        = "300s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_PERCENTILE_95"
        group_by_fields      = ["resource.labels.service_name"]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "${each.key} is slow (p95 above ${local.alert_p95_latency_ms[each.key]} ms). Check its outbound calls' deadlines in the logs and the instance count against max_instances."
  }

  depends_on = [google_project_service.enabled]
}

# A failed attempt of a job is logged by Cloud Scheduler at severity ERROR (the worker answered non-2xx, or the
# attempt deadline passed).
resource "google_monitoring_alert_policy" "scheduler_job_failed" {
  for_each = { for job in local.worker_jobs : job.name => job }

  project               = var.project_id
  display_name          = "Scheduler job ${each.key} failed"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "${each.key}: an attempt failed"
    condition_matched_log {
      filter = "resource.type = \"cloud_scheduler_job\" AND resource.labels.job_id = \"${each.key}\" AND resource.labels.location = \"${local.scheduler_region}\" AND severity >= ERROR"
    }
  }

  alert_strategy {
    # A job failing every minute notifies at most every 30 min; the incident closes an hour after the last failure.
    notification_rate_limit {
      period = "1800s"
    }
    auto_close = "3600s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The worker's job ${each.key} (POST ${each.value.path}) failed. A 401 means the job's OIDC audience or account does not match the worker's PUSH_AUTH_* settings; a 504 that the run hit the worker's timeout. `gcloud scheduler jobs run ${each.key} --location=${local.scheduler_region}` runs it again now."
  }

  depends_on = [google_project_service.enabled]
}
