# The lockstep container action: lockstep and a pinned Terraform on a small
# Debian base. GitHub builds it from action.yml's `image: Dockerfile` (or
# pulls a published build of it) and runs it as root in /github/workspace.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t lockstep .

ARG TERRAFORM_VERSION=1.11.4
# Terraform is downloaded for one architecture and verified against a pinned
# SHA-256. The default pin is the official checksum of
# terraform_1.11.4_linux_amd64.zip (the linux_amd64 line of HashiCorp's
# terraform_1.11.4_SHA256SUMS). To change the version or build for another
# architecture, pass all three args with the value from the release's
# SHA256SUMS file, after checking that file's signature (SHA256SUMS.sig) with
# HashiCorp's release key.
ARG TERRAFORM_ARCH=amd64
ARG TERRAFORM_SHA256=1ce994251c00281d6845f0f268637ba50c0005657eb3cf096b92f753b42ef4dc

# Base images are pinned by their multi-arch index digest, so a moved tag cannot
# change what is built; the tag stays for people. golang:1.26-bookworm was Go
# 1.26.4 at this digest (May 2026), debian:bookworm-slim its June 2026 build.
# Not pulled from this build machine (no registry access): taken from many
# independent public Dockerfiles, Renovate/Dependabot updates and a BuildKit log
# that resolved them. Refresh with
#   docker buildx imagetools inspect golang:1.26-bookworm
#   docker buildx imagetools inspect debian:bookworm-slim
# and use the "Digest:" line (the index, not a per-platform manifest).

# Build stage. terraform-exec v0.26 requires Go >= 1.26.
FROM golang:1.26-bookworm@sha256:5d2b868674b57c9e48cdd39e891acce4196b6926ca6d11e9c270a8f85106203d AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=0.0.0-dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/lockstep-ci/lockstep/pkg/version.Version=${VERSION}" \
      -o /out/lockstep ./cmd/lockstep

# Terraform stage: download the release zip and refuse it unless its SHA-256
# is the pinned one.
FROM debian:bookworm-slim@sha256:96e378d7e6531ac9a15ad505478fcc2e69f371b10f5cdf87857c4b8188404716 AS terraform
ARG TERRAFORM_VERSION
ARG TERRAFORM_ARCH
ARG TERRAFORM_SHA256
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl unzip \
 && rm -rf /var/lib/apt/lists/*
RUN set -eu; \
    zip="terraform_${TERRAFORM_VERSION}_linux_${TERRAFORM_ARCH}.zip"; \
    curl -fsSL --retry 3 -o "/tmp/${zip}" \
      "https://releases.hashicorp.com/terraform/${TERRAFORM_VERSION}/${zip}"; \
    echo "${TERRAFORM_SHA256}  /tmp/${zip}" | sha256sum --check --strict -; \
    mkdir -p /out; \
    unzip -j "/tmp/${zip}" terraform -d /out; \
    rm "/tmp/${zip}"; \
    /out/terraform version

# Final stage. No USER (GitHub runs container actions as root, and another user
# cannot write the workspace) and no WORKDIR (the runner sets it to
# /github/workspace). git is needed to derive versions and trace deployments;
# the checkout there belongs to the runner's user, so git must trust it.
FROM debian:bookworm-slim@sha256:96e378d7e6531ac9a15ad505478fcc2e69f371b10f5cdf87857c4b8188404716
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git \
 && rm -rf /var/lib/apt/lists/* \
 && git config --system --add safe.directory '*'
COPY --from=terraform /out/terraform /usr/local/bin/terraform
COPY --from=build /out/lockstep /usr/local/bin/lockstep
ENV CHECKPOINT_DISABLE=1 \
    TF_IN_AUTOMATION=1
ENTRYPOINT ["/usr/local/bin/lockstep", "action"]
