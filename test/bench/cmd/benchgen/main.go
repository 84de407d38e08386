// Command benchgen writes lockstep's benchmark inputs: a generated plan's
// terraform show -json and plan text, or a terraform_data stack.
//
//	benchgen plan  -n 10000 -json plan.json [-text plan.txt]
//	benchgen stack -n 1000 -version 1 -dir ./stack
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/lockstep-ci/lockstep/test/bench"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: benchgen plan|stack [flags]")
		return 2
	}
	fs := flag.NewFlagSet("benchgen "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 1000, "number of resource changes (plan) or instances (stack)")
	jsonPath := fs.String("json", "", "plan: write terraform show -json here")
	textPath := fs.String("text", "", "plan: write the plan text here")
	dir := fs.String("dir", "", "stack: the directory to write main.tf and items.json into")
	version := fs.Int("version", 1, "stack: 1 (apply first) or 2 (then plan)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	var err error
	switch args[0] {
	case "plan":
		err = writePlan(*n, *jsonPath, *textPath)
	case "stack":
		if *dir == "" {
			err = fmt.Errorf("-dir is required")
		} else {
			err = bench.WriteStack(*dir, *n, *version)
		}
	default:
		err = fmt.Errorf("unknown command %q: want plan or stack", args[0])
	}
	if err != nil {
		fmt.Fprintln(stderr, "benchgen:", err)
		return 1
	}
	return 0
}

func writePlan(n int, jsonPath, textPath string) error {
	if jsonPath == "" {
		return fmt.Errorf("-json is required")
	}
	f, err := os.Create(jsonPath)
	if err != nil {
		return err
	}
	if err := bench.WritePlan(f, n); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if textPath == "" {
		return nil
	}
	return os.WriteFile(textPath, []byte(bench.PlanText(n)), 0o644)
}
