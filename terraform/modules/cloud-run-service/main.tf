# One Cloud Run service. One owner per field (docs/deploy.md, "Who owns what"):
# - Terraform: everything here, traffic included — 100 % to the LATEST ready revision, no tags;
# - the pipeline (cloudbuild.yaml): the container image only. It deploys a revision with no traffic under a
#   temporary tag, smoke-tests it, then moves traffic back to LATEST (= that revision) and clears the tags.
# So the only ignored field is the image. Not `template[0].revision`: echoing the revision name gcloud wrote would
# make Cloud Run answer 409 (already exists) on Terraform's next template change (provider issues #9438, #13410);
# the price is that a plan after a deploy shows `revision = "<name>" -> null`, and applying rolls one revision
# identical to the running one (same image, same settings). Not `traffic`: both owners end at LATEST 100 %, so a
# revision Terraform creates (an env change) takes the traffic instead of getting 0 %.

resource "google_cloud_run_v2_service" "this" {
  project             = var.project_id
  location            = var.region
  name                = var.name
  ingress             = var.ingress
  deletion_protection = var.deletion_protection
  custom_audiences    = var.custom_audiences
  labels              = var.labels

  template {
    service_account                  = var.service_account_email
    max_instance_request_concurrency = var.concurrency
    timeout                          = "${var.timeout_seconds}s"
    labels                           = var.labels

    scaling {
      min_instance_count = var.min_instances
      max_instance_count = var.max_instances
    }

    containers {
      image = var.image
      # The image's ENTRYPOINT is `node`; args pick the service's main (one image, three entrypoints).
      args = var.args

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = var.cpu
          memory = var.memory
        }
        cpu_idle          = var.cpu_idle
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = var.env
        content {
          name  = env.key
          value = env.value
        }
      }
    }
  }

  traffic {
    type    = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
    percent = 100
  }

  lifecycle {
    ignore_changes = [
      template[0].containers[0].image,
      # Service-level metadata gcloud stamps on every deploy; changing it creates no revision.
      client,
      client_version,
    ]
  }
}
