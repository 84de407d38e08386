// Command lockstep ships Terraform and the application together: as a GitHub
// Action (lockstep action) or on the command line (lockstep <command>).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/lockstep-ci/lockstep/pkg/cli"
)

func main() {
	// SIGINT and SIGTERM cancel the context; terraform-exec then passes an
	// interrupt to Terraform, which stops cleanly and releases its lock.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, cli.Env{
		Args:       os.Args[1:],
		Stdin:      os.Stdin,
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Getenv:     os.Getenv,
		IsTerminal: stdinIsTerminal,
	})
	stop()
	os.Exit(code)
}
