# What Cloud Build needs to run cloudbuild.yaml and cloudbuild.bootstrap.yaml: an image repository and a deployer
# identity with just enough rights — push images, deploy revisions of the three services, act as their runtime
# accounts, provision the topology (`npm run provision`), write build logs, read the sources `gcloud builds submit`
# uploads. Every build runs as the deployer, the bootstrap one included (docs/deploy.md, Bootstrap).

resource "google_artifact_registry_repository" "images" {
  project       = var.project_id
  location      = var.region
  repository_id = var.artifact_repository
  format        = "DOCKER"
  description   = "LiveStreamSell container images (one image, three services)."
  labels        = local.labels

  depends_on = [google_project_service.enabled]
}

resource "google_service_account" "deployer" {
  project      = var.project_id
  account_id   = "lss-deployer"
  display_name = "LiveStreamSell Cloud Build deployer"
}

resource "google_artifact_registry_repository_iam_member" "deployer_writer" {
  project    = var.project_id
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.deployer.email}"
}

# `gcloud run deploy` as the deployer sets each service's runtime account; the provision step sets the push
# account on subscriptions' OIDC config. Both need actAs on exactly those accounts.
resource "google_service_account_iam_member" "deployer_acts_as_runtime" {
  for_each = google_service_account.runtime

  service_account_id = each.value.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.deployer.email}"
}

resource "google_service_account_iam_member" "deployer_acts_as_push" {
  service_account_id = google_service_account.push.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.deployer.email}"
}

# `npm run provision` creates missing topics / subscriptions and updates push configs.
resource "google_project_iam_member" "deployer_pubsub_editor" {
  project = var.project_id
  role    = "roles/pubsub.editor"
  member  = "serviceAccount:${google_service_account.deployer.email}"
}

# `gcloud builds submit` (the bootstrap image, a pipeline run by hand) uploads the source to a bucket, and the build
# reads it back as the deployer. A bucket of its own, so the deployer reads build sources and nothing else
# (`--gcs-source-staging-dir=gs://<bucket>/source`, docs/deploy.md). Triggers fetch from GitHub and do not use it.
resource "google_storage_bucket" "build_sources" {
  project                     = var.project_id
  name                        = "${var.project_id}-build-sources"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection
  labels                      = local.labels

  # A source tarball is only read by the build it was uploaded for.
  lifecycle_rule {
    condition {
      age = 7
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket_iam_member" "deployer_source_reader" {
  bucket = google_storage_bucket.build_sources.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.deployer.email}"
}

# A build that runs as a user-specified service account must log somewhere it can write (CLOUD_LOGGING_ONLY).
resource "google_project_iam_member" "deployer_log_writer" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = "serviceAccount:${google_service_account.deployer.email}"
}

# Optional: a trigger on the GitHub repository (the GitHub connection is made once in the console).
resource "google_cloudbuild_trigger" "deploy" {
  count = var.github_trigger == null ? 0 : 1

  project         = var.project_id
  location        = "global"
  name            = "livestreamsell-${var.environment}-deploy"
  description     = "Test, build and deploy the three services to ${var.environment}."
  filename        = "cloudbuild.yaml"
  service_account = google_service_account.deployer.id

  github {
    owner = var.github_trigger.owner
    name  = var.github_trigger.repository
    push {
      branch = var.github_trigger.branch_regex
      tag    = var.github_trigger.tag_regex
    }
  }

  substitutions = {
    _REGION     = var.region
    _REPOSITORY = var.artifact_repository
  }
}
