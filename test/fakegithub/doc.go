// Package fakegithub is a stateful, in-memory GitHub REST API server on
// net/http/httptest, shared by lockstep's unit and end-to-end tests.
//
// It answers the endpoints lockstep uses the way api.github.com does, as far
// as go-github v60 can tell: JSON shapes, status codes, GitHub's error bodies,
// X-RateLimit-* headers on every response, Link-header pagination and
// html_url values. Tests seed state (pull requests, files, environments,
// workflows), drive lockstep against [Server.APIURL], then read the state back
// (comments, deployments, dispatches) and the request log.
//
// Fault injection ([Server.Fail]) reproduces what makes GitHub clients hard
// to get right: 5xx answers, primary and secondary rate limits, 429s, dropped
// connections, and the ambiguous "apply-then-fail" where the server performs a
// write but answers 502.
//
// Usage:
//
//	s := fakegithub.New(t, fakegithub.WithToken("t0ken"))
//	s.AddPullRequest("acme", "infra", 12, fakegithub.FakeSHA("head"))
//	s.Fail(fakegithub.Fault{Method: "POST", Path: "/repos/acme/infra/issues/12/comments",
//		Kind: fakegithub.FaultApplyThenFail})
//	// point the code under test at s.APIURL() (GITHUB_API_URL) with s.Client()
//	...
//	comments := s.Comments("acme", "infra", 12)
//	posts := s.Count("POST", "/repos/{owner}/{repo}/issues/{n}/comments")
//
// Layout: server.go holds the server, options and middleware; router.go the
// path patterns; respond.go JSON, errors and pagination; faults.go and
// requests.go the test controls; one file per API area (issues.go, pulls.go,
// environments.go, deployments.go, actions.go, artifacts.go, users.go, approvals.go: run
// approvals, deployment branch policies, branches and the repository; mergequeue.go: the commit
// graph, compare, a pull request's commits and merge queue batches; teams.go: teams and which
// tokens may read them; driftissues.go: plain issues (list with state, labels and sort; create;
// edit, close and reopen) and repository labels) registers its routes in
// routes.go. A new endpoint is a handler in its area's file plus one line in
// routes.go.
//
// What GitHub refuses, the fake refuses with GitHub's answer: dispatch.go
// holds the workflow_dispatch checks (declared inputs, read from the
// workflow file by [ReadWorkflow]; required inputs; refs), limits.go the
// comment and deployment status length limits.
package fakegithub
