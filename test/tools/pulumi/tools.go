//go:build tools

// Package tools records the Pulumi CLI as a dependency of this module, so that
// `go mod tidy` keeps its requirements and go.sum lists everything that
// `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` needs.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
