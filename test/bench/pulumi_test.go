package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/engine/pulumi"
	"github.com/lockstep-ci/lockstep/test/pulumitest"
)

// pulumiResources is the size of the Pulumi stack benchmarked.
const pulumiResources = 500

// pulumiStackYAML is a Pulumi YAML program of n lockstep:index:Thing
// resources (the test provider, test/tools/pulumi/provider). Version 1 is
// applied once; version 2 against it plans, per 10 resources, 1 create,
// 3 updates, 1 replace, 1 delete and 4 unchanged, the mix of
// pkg/engine/pulumi's BenchmarkSummary. Both versions have a secret config
// value and a secret output, so the secrets lockstep masks are real.
func pulumiStackYAML(n, version int) string {
	var b strings.Builder
	b.WriteString("name: bench\nruntime: yaml\nconfig:\n  password:\n    type: string\nresources:\n")
	for i := range n {
		slot := i % 10
		if version == 1 && slot == 0 || version == 2 && slot == 5 {
			continue // created by version 2, or deleted by it
		}
		value, key := "one", "k1"
		if version == 2 && slot >= 1 && slot <= 3 {
			value = "two"
		}
		if version == 2 && slot == 4 {
			key = "k2"
		}
		fmt.Fprintf(&b, "  thing-%04d:\n    type: lockstep:index:Thing\n    properties:\n      value: %s-%d\n      key: %s\n", i, value, i, key)
	}
	fmt.Fprintf(&b, "outputs:\n  count: %d\n  token: ${password}\n", n)
	return b.String()
}

// pulumiStack is a project on an offline file backend whose stack dev holds
// version 1 of pulumiStackYAML, its program already at version 2.
type pulumiStack struct {
	bin, dir string
	env      []string
}

var (
	pulumiOnce sync.Once
	pulumiMade *pulumiStack
	pulumiErr  error
)

// pulumiStackFor makes the stack once per process (the up of version 1
// takes about a minute: the file backend rewrites the checkpoint after
// every step), under the benchmarks' temporary directory.
func pulumiStackFor(b *testing.B) *pulumiStack {
	b.Helper()
	bin := pulumitest.Path(b) // skips (or fails in CI) without the tools
	pulumiOnce.Do(func() { pulumiMade, pulumiErr = makePulumiStack(bin) })
	if pulumiErr != nil {
		b.Fatal(pulumiErr)
	}
	return pulumiMade
}

func makePulumiStack(bin string) (*pulumiStack, error) {
	fixturesMu.Lock()
	if fixturesDir == "" {
		dir, err := os.MkdirTemp("", "lockstep-bench-")
		if err != nil {
			fixturesMu.Unlock()
			return nil, err
		}
		fixturesDir = dir
	}
	root := filepath.Join(fixturesDir, "pulumi")
	fixturesMu.Unlock()
	backend := filepath.Join(root, "backend")
	s := &pulumiStack{bin: bin, dir: filepath.Join(root, "project"), env: []string{
		"PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"PULUMI_HOME=" + filepath.Join(root, "home"),
		"PULUMI_BACKEND_URL=file://" + backend,
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"PULUMI_CONFIG_PASSPHRASE=" + pulumitest.Passphrase,
	}}
	for _, d := range []string{backend, s.dir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	write := func(version int) error {
		return os.WriteFile(filepath.Join(s.dir, "Pulumi.yaml"), []byte(pulumiStackYAML(pulumiResources, version)), 0o644)
	}
	if err := write(1); err != nil {
		return nil, err
	}
	for _, args := range [][]string{
		{"stack", "init", "dev", "--non-interactive"},
		{"config", "set", "--stack", "dev", "--secret", "password", "bench-secret-value-0123456789"},
		{"up", "--yes", "--skip-preview", "--stack", "dev", "--non-interactive"},
	} {
		if out, err := pulumitest.Try(bin, s.dir, s.env, args...); err != nil {
			return nil, fmt.Errorf("pulumi %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return s, write(2)
}

// bare is what a user of Pulumi alone runs to see a preview.
func (s *pulumiStack) bare() error {
	return s.pulumi("preview", "--json", "--stack", "dev", "--non-interactive")
}

// previewOnly is the preview command lockstep's Plan runs, alone: the part
// of lockstep's cost that is Pulumi's own work for the saved plan and the
// event log.
func (s *pulumiStack) previewOnly(dir string) error {
	return s.pulumi("preview", "--json", "--save-plan", filepath.Join(dir, "only.json"), "--event-log", filepath.Join(dir, "only.jsonl"),
		"--stack", "dev", "--non-interactive", "--color", "never")
}

// diffPreview is the preview Plan ran before lockstep wrote the text
// itself: Pulumi's --diff display instead of --json.
func (s *pulumiStack) diffPreview(dir string) error {
	return s.pulumi("preview", "--save-plan", filepath.Join(dir, "diff.json"), "--diff", "--event-log", filepath.Join(dir, "diff.jsonl"),
		"--stack", "dev", "--non-interactive", "--color", "never")
}

// serial is the preview and the CLI reads Plan falls back to for a stack
// not on the passphrase provider, one after the other (the adapter's
// decoding left out: milliseconds): the reference for what running them
// beside the preview, and reading a passphrase stack's secrets in-process,
// saves.
func (s *pulumiStack) serial(dir string) error {
	if err := s.previewOnly(dir); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"config", "--json", "--show-secrets"},
		{"stack", "export", "--show-secrets"},
		{"stack", "export"},
	} {
		if err := s.pulumi(append(args, "--stack", "dev", "--non-interactive", "--color", "never")...); err != nil {
			return err
		}
	}
	return nil
}

func (s *pulumiStack) pulumi(args ...string) error {
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), append(s.env, "PULUMI_DEBUG_COMMANDS=true")...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pulumi %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// lockstep is what `lockstep plan` asks of the engine for the plan (after
// Identity and Init, which are not timed): Plan, then StateFingerprint for
// the binding record.
func (s *pulumiStack) lockstep(ctx context.Context, a *pulumi.Adapter, out string) (*engine.Plan, error) {
	p, err := a.Plan(ctx, engine.PlanOptions{Out: out})
	if err != nil {
		return nil, err
	}
	if _, err := a.StateFingerprint(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// BenchmarkPulumiPreview is lockstep's own cost on a 500-resource Pulumi
// preview: "bare" is `pulumi preview --json`; "lockstep" the adapter's
// Plan and StateFingerprint as the plan pipeline calls them;
// "preview-only" the one pulumi preview command Plan runs, alone;
// "diff-preview" the preview with --diff that Plan ran before; "serial"
// the preview and the CLI reads one after the other. Each iteration runs all five,
// reversing their order every other time, so that the machine's load falls
// on all alike; it reports each side's median wall and CPU time and their
// ratios to bare's, and the quartiles of lockstep's paired ratio (see
// README.md).
func BenchmarkPulumiPreview(b *testing.B) {
	s := pulumiStackFor(b)
	ctx := context.Background()
	a, err := pulumi.New(pulumi.Options{ExecPath: s.bin, Dir: s.dir, Stack: "dev", Env: s.env})
	if err != nil {
		b.Fatal(err)
	}
	tmp := b.TempDir()
	out := filepath.Join(tmp, "plan.json")
	bare := func() error { return s.bare() }
	only := func() error {
		_ = os.Remove(filepath.Join(tmp, "only.jsonl")) // --event-log appends
		return s.previewOnly(tmp)
	}
	serial := func() error {
		_ = os.Remove(filepath.Join(tmp, "only.jsonl"))
		return s.serial(tmp)
	}
	lockstep := func() error {
		p, err := s.lockstep(ctx, a, out)
		if err != nil {
			return err
		}
		if got, want := p.Summary.Add, pulumiResources/10*2; got != want {
			return fmt.Errorf("the preview plans %d adds, want %d (creates and replaces)", got, want)
		}
		if len(p.Summary.Secrets) == 0 {
			return fmt.Errorf("the plan has no secrets to mask")
		}
		return nil
	}
	// Each side's wall time and CPU time: the CPU (user and system) of
	// the processes it started, pulumi's plugins included, read from the
	// kernel's account of this process's finished children.
	type side struct{ wall, cpu []time.Duration }
	var bareSide, lockstepSide, onlySide, serialSide, diffSide side
	diff := func() error {
		_ = os.Remove(filepath.Join(tmp, "diff.jsonl"))
		return s.diffPreview(tmp)
	}
	timed := func(f func() error, into *side) {
		cpu := childrenCPU(b)
		start := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		into.wall = append(into.wall, time.Since(start))
		into.cpu = append(into.cpu, childrenCPU(b)-cpu)
	}
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			timed(bare, &bareSide)
			timed(lockstep, &lockstepSide)
			timed(only, &onlySide)
			timed(diff, &diffSide)
			timed(serial, &serialSide)
		} else {
			timed(serial, &serialSide)
			timed(diff, &diffSide)
			timed(only, &onlySide)
			timed(lockstep, &lockstepSide)
			timed(bare, &bareSide)
		}
		i++
	}
	bm := median(bareSide.wall)
	bc := median(bareSide.cpu)
	b.ReportMetric(float64(bm.Milliseconds()), "bare-ms")
	for _, s := range []struct {
		name string
		side side
	}{{"lockstep", lockstepSide}, {"preview-only", onlySide}, {"diff-preview", diffSide}, {"serial", serialSide}} {
		m := median(s.side.wall)
		b.ReportMetric(float64(m.Milliseconds()), s.name+"-ms")
		b.ReportMetric(float64(m)/float64(bm), s.name+"/bare")
		b.ReportMetric(float64(median(s.side.cpu))/float64(bc), s.name+"-cpu/bare-cpu")
	}
	b.ReportMetric(float64(bc.Milliseconds()), "bare-cpu-ms")
	// The spread of the wall ratio: lockstep's and bare's times of the
	// same iteration, paired, give one ratio each; their quartiles say how
	// far one run of ten can be trusted.
	ratios := make([]float64, len(bareSide.wall))
	for i := range ratios {
		ratios[i] = float64(lockstepSide.wall[i]) / float64(bareSide.wall[i])
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/4], "lockstep/bare-q1")
	b.ReportMetric(ratios[len(ratios)*3/4], "lockstep/bare-q3")
}

// childrenCPU is the user and system CPU time of this process's finished
// (waited-for) children and theirs.
func childrenCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
