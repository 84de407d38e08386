// Package release writes what a lockstep release changes in the repository:
// the action.yml of a release commit, whose `runs.image` names the published
// image by digest (docker://ghcr.io/<owner>/lockstep@sha256:<digest>) instead
// of `Dockerfile`, so that a tagged version is pulled at job set-up instead of
// built in every job. main keeps `image: Dockerfile`.
//
// [PinImage] changes that one value and keeps every other byte of the file;
// [ParseImageRef] refuses anything but a name pinned by a sha256 digest.
// .github/workflows/release.yml runs both through cmd/release-action.
//
// It also writes the repository's generated workflow files, each checked by
// a test that fails when the committed file differs: [HostAction] (the host
// mode composite, from action.yml), [EnvironmentTwins] (pipeline.yml's
// deploy-in-environment and verify-in-environment, from its deploy and
// verify jobs) and [OIDCWorkflow] (pipeline-oidc.yml, from pipeline.yml).
package release
