// Command lockstep ships Terraform and the application together: as a GitHub
// Action (lockstep action) or on the command line (lockstep <command>).
package main

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/lockstep-ci/lockstep/pkg/childenv"
	"github.com/lockstep-ci/lockstep/pkg/cli"
)

func main() {
	// SIGINT and SIGTERM cancel the context; terraform-exec then passes an
	// interrupt to Terraform, which stops cleanly and releases its lock.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// lockstep reads its inputs from a snapshot of the environment, so that
	// it can remove them (and the tokens) from the process's own before
	// Terraform, git or the deploy command inherit it.
	snapshot := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			snapshot[k] = v
		}
	}
	code := cli.Main(ctx, cli.Env{
		Args:       os.Args[1:],
		Stdin:      os.Stdin,
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Getenv:     func(k string) string { return snapshot[k] },
		IsTerminal: stdinIsTerminal,
		// The summary reads as plain text at a terminal, Markdown elsewhere.
		StdoutIsTerminal: stdoutIsTerminal,
		ScrubEnv: func(tokens ...string) error {
			_, err := childenv.Scrub(tokens...)
			return err
		},
	})
	stop()
	os.Exit(code)
}
