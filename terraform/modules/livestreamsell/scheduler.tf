# The worker's Cloud Scheduler jobs (services/worker/app.ts, WORKER_JOBS): HTTP POSTs to the worker behind the same
# OIDC check as its push endpoints. tests/unit/terraform.test.ts holds this list to WORKER_JOBS (name, path,
# schedule), so a job added or rescheduled in the code without this file fails CI.
locals {
  # retry_count: Cloud Scheduler never overlaps two executions of one job, so retries that run into the next tick
  # only delay it. A job retries only when the worst case — every attempt running to its deadline, plus the
  # backoffs — still ends before the next tick (the test checks this). expire-reservations runs every minute,
  # shorter than one attempt's deadline: its next tick is its retry. reconcile-payments runs every 5 min: one
  # retry after 30 s fits (2 × 120 s + 30 s).
  worker_jobs = [
    { name = "expire-reservations", path = "/jobs/expire-reservations", schedule = "* * * * *", retry_count = 0 },
    { name = "reconcile-payments", path = "/jobs/reconcile-payments", schedule = "*/5 * * * *", retry_count = 1 },
    { name = "record-live-metrics", path = "/jobs/record-live-metrics", schedule = "* * * * *", retry_count = 0 },
  ]

  scheduler_region = var.scheduler_region == null ? var.region : var.scheduler_region
}

resource "google_cloud_scheduler_job" "worker_jobs" {
  for_each = { for job in local.worker_jobs : job.name => job }

  project     = var.project_id
  region      = local.scheduler_region
  name        = each.value.name
  description = "POST ${each.value.path} on the worker (services/worker/app.ts WORKER_JOBS)."
  schedule    = each.value.schedule
  time_zone   = "Etc/UTC"
  # As long as Cloud Run lets the request run (the worker's timeout): Scheduler neither gives up on (and retries
  # over) a run that is still going, nor waits for one Cloud Run has already cut.
  attempt_deadline = "${local.worker_timeout_seconds}s"

  retry_config {
    retry_count          = each.value.retry_count
    max_retry_duration   = "0s"
    min_backoff_duration = "30s"
    max_backoff_duration = "60s"
    max_doublings        = 1
  }

  http_target {
    http_method = "POST"
    uri         = "${local.service_urls.worker}${each.value.path}"

    # Signed as the scheduler account, for the worker's own URL: the audience the worker checks
    # (PUSH_AUTH_AUDIENCE) and Cloud Run accepts (custom_audiences). Without `audience` Scheduler would sign for
    # the full URI, path included, and the worker would refuse it.
    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = local.service_urls.worker
    }
  }

  depends_on = [google_project_service.enabled, google_service_account_iam_member.scheduler_agent_token_creator]
}
