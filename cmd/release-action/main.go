// Command release-action pins action.yml to a published image for a release
// commit: it rewrites `runs.image` to docker://<name>@sha256:<digest> and
// keeps every other byte of the file (see pkg/release).
//
//	release-action [-file action.yml] ghcr.io/<owner>/lockstep@sha256:<64 hex>
//
// .github/workflows/release.yml runs it on the tagged commit's action.yml
// with the digest its push step reported. It refuses a reference without a
// sha256 digest. Running it twice with the same reference changes nothing.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/lockstep-ci/lockstep/pkg/release"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the reference or the file was refused, or I/O failed
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("release-action", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("file", "action.yml", "the action.yml to rewrite in place")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: release-action [-file action.yml] <name>@sha256:<64 hex digits>")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	if err := pin(*file, fs.Arg(0)); err != nil {
		fmt.Fprintf(stderr, "release-action: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "%s: image: docker://%s\n", *file, fs.Arg(0))
	return exitOK
}

// pin rewrites file in place, through a temporary file in the same folder so
// that a failure never leaves half a file.
func pin(file, reference string) (err error) {
	ref, err := release.ParseImageRef(reference)
	if err != nil {
		return err
	}
	info, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("reading the action metadata: %w", err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("reading the action metadata: %w", err)
	}
	out, err := release.PinImage(data, ref)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".release-action-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}
