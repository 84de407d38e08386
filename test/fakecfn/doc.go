// Package fakecfn is a stateful fake of the AWS CloudFormation API on
// net/http/httptest, for tests that drive the real aws-sdk-go-v2
// cloudformation client (AWS cannot be reached from the tests).
//
// It speaks the query protocol (form-encoded POST, Version=2010-05-15, XML
// answers and AWS's <ErrorResponse> errors) and models what a change-set
// workflow sees: templates in JSON or YAML (short-form tags included), change
// sets with Add/Modify/Remove, property details and replacement, the empty
// change set that FAILS, change sets deleted when another one executes,
// executions that write stack events, fail on a chosen resource and roll back
// (or not), drift detection, pagination, throttling and unsigned requests.
//
// Usage:
//
//	s := fakecfn.New()
//	defer s.Close()
//	client := cloudformation.NewFromConfig(s.Config(ctx)) // or a child process with s.Env()
//	s.FailResource("app", "Bucket", "Access Denied")
//	... drive the code under test ...
//	st, _ := s.Stack("app") // status, resources, outputs, events
//	if s.CallCount("ExecuteChangeSet") != 0 { ... }
//
// Layout: server.go holds the server, its test controls and the HTTP
// front (signature check, faults, dispatch); wire.go the query protocol
// (form decoding, XML written through the SDK's own output types); ops.go
// the operations; state.go stacks, resources and change sets; template.go
// template parsing; eval.go the intrinsic functions; diff.go change
// computation; exec.go execution, events and rollback; drift.go drift.
//
// Each operation is complete on the first describe unless
// [Server.SetPending] says otherwise, so tests do not wait.
package fakecfn
