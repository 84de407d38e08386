// Package github is lockstep's narrow client for the GitHub REST API, built
// on go-github v60 (imported as gogithub).
//
// It owns what talking to GitHub from a CI job needs and go-github leaves to
// its callers: one retry mechanism for every call (capped exponential backoff
// with jitter for 5xx and dropped connections; waiting out secondary rate
// limits, 429s and near primary-limit resets; failing fast with a clear
// message when a reset is far away), errors callers can branch on
// ([IsPermission], [IsNotFound], [IsRateLimited]), and writes that are safe
// to retry: a create is never blindly repeated after an ambiguous failure, so
// the plan comment is never duplicated ([Client.UpsertComment]). Comments
// are lockstep's only when written by the identity it posts as
// ([Client.CommentAuthor]); anyone else's comment is never read as
// lockstep's, compared or edited, whatever marker it starts with.
//
// Layout: client.go builds the [Client]; retry.go holds the shared do/retry
// helper every call goes through; errors.go the error helpers; one file per
// API area (comments.go and author.go: whose comments lockstep trusts; pulls.go,
// environments.go, deployments.go, workflows.go, artifacts.go; approvals.go: what proves a run
// was approved).
//
// Time and randomness are injected ([Options.Sleep], [Options.Now],
// [Options.Rand]) so tests run against test/fakegithub without sleeping.
package github
