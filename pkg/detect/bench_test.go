package detect

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// syntheticMonorepo builds a repository of stacks stacks and modules shared
// modules, and changed changed files. Modules 0-9 are leaves; every other
// module calls one or two lower-numbered modules, so calls nest up to
// several levels. Each stack calls 1-3 modules. About 70% of the changed
// files fall in stacks, 5% in modules and the rest outside any stack; a few
// are deletions, including whole stacks that no longer exist.
func syntheticMonorepo(stacks, modules, changed int) (fsys fstest.MapFS, changedFiles, deleted []string) {
	rng := rand.New(rand.NewPCG(1, 2))
	fsys = fstest.MapFS{
		"README.md":                  file("# monorepo"),
		".github/workflows/ci.yml":   file("on: push"),
		"src/app/main.go":            file("package main"),
		"infra/.terraform/cache.txt": file("ignored"),
	}
	module := func(i int) string { return fmt.Sprintf("modules/m%02d", i) }
	for i := range modules {
		var b strings.Builder
		b.WriteString("variable \"name\" {\n  type = string\n}\n\n")
		if i >= 10 {
			for range 1 + rng.IntN(2) {
				dep := rng.IntN(i)
				fmt.Fprintf(&b, "module \"m%02d\" {\n  source = \"../m%02d\"\n  name   = var.name\n}\n\n", dep, dep)
			}
		}
		b.WriteString("resource \"terraform_data\" \"this\" {\n  input = var.name\n}\n\noutput \"id\" {\n  value = terraform_data.this.id\n}\n")
		fsys[module(i)+"/main.tf"] = file(b.String())
		fsys[module(i)+"/README.md"] = file("module docs")
	}
	stack := func(i int) string { return fmt.Sprintf("stacks/team%02d/s%04d", i%20, i) }
	for i := range stacks {
		var b strings.Builder
		b.WriteString("terraform {\n  required_version = \">= 1.4\"\n}\n\n")
		for j := range 1 + rng.IntN(3) {
			m := rng.IntN(modules)
			fmt.Fprintf(&b, "module \"call%d\" {\n  source = \"../../../modules/m%02d\"\n  name   = \"s%04d\"\n}\n\n", j, m, i)
		}
		b.WriteString("module \"vpc\" {\n  source  = \"terraform-aws-modules/vpc/aws\"\n  version = \"5.0.0\"\n}\n")
		fsys[stack(i)+"/main.tf"] = file(b.String())
		fsys[stack(i)+"/variables.tf"] = file("variable \"region\" {\n  type    = string\n  default = \"eu-west-1\"\n}\n")
		fsys[stack(i)+"/files/policy.json"] = file("{}")
	}
	for i := range changed {
		switch r := rng.IntN(100); {
		case r < 70:
			changedFiles = append(changedFiles, fmt.Sprintf("%s/file%d.tf", stack(rng.IntN(stacks)), i))
		case r < 75:
			changedFiles = append(changedFiles, fmt.Sprintf("%s/file%d.tf", module(rng.IntN(modules)), i))
		case r < 98:
			changedFiles = append(changedFiles, fmt.Sprintf("docs/section%d/page%d.md", i%50, i))
		default:
			deleted = append(deleted, fmt.Sprintf("stacks/gone/s%04d/main.tf", i))
		}
	}
	return fsys, changedFiles, deleted
}

// BenchmarkDetect is Discover plus Changed over 1,000 stacks, 50 shared
// modules and 10,000 changed files.
func BenchmarkDetect(b *testing.B) {
	mapFS, changedFiles, deleted := syntheticMonorepo(1000, 50, 10000)
	// The same tree on disk: fstest.MapFS lists a directory by scanning every
	// path it holds, which makes walking it quadratic; os.DirFS does not.
	dir := b.TempDir()
	if err := os.CopyFS(dir, mapFS); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		fsys  fs.FS
		globs []string
	}{
		{"mapfs", mapFS, nil},
		{"mapfs-globs", mapFS, []string{"stacks/*/*"}},
		{"dirfs", os.DirFS(dir), nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var res Result
			for b.Loop() {
				stacks, err := Discover(bc.fsys, bc.globs)
				if err != nil {
					b.Fatal(err)
				}
				if len(stacks) != 1000 {
					b.Fatalf("discovered %d stacks, want 1000", len(stacks))
				}
				res = Changed(stacks, changedFiles, deleted)
			}
			b.ReportMetric(float64(len(res.Stacks)), "changed-stacks")
		})
	}
}

// BenchmarkChanged is Changed alone, to show it is cheap next to parsing.
func BenchmarkChanged(b *testing.B) {
	fsys, changedFiles, deleted := syntheticMonorepo(1000, 50, 10000)
	stacks, err := Discover(fsys, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Changed(stacks, changedFiles, deleted)
	}
}

func TestSyntheticMonorepo(t *testing.T) {
	fsys, changedFiles, deleted := syntheticMonorepo(100, 50, 1000)
	stacks, err := Discover(fsys, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(stacks) != 100 {
		t.Fatalf("discovered %d stacks, want 100", len(stacks))
	}
	nested := false
	for _, s := range stacks {
		if len(s.Modules) > 3 {
			nested = true
		}
	}
	if !nested {
		t.Error("no stack reaches modules through nested calls")
	}
	res := Changed(stacks, changedFiles, deleted)
	if len(res.Stacks) == 0 || len(res.Deleted) == 0 {
		t.Errorf("changed %d stacks and deleted %d; want some of each", len(res.Stacks), len(res.Deleted))
	}
}
