package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/lockstep-ci/lockstep/pkg/actions"
	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/pkg/terraform"
)

// sizes are the numbers of resource changes benchmarked.
var sizes = []int{100, 1000, 10000, 50000}

// fixture is one generated plan, written once per process into a temporary
// directory: the JSON terraform show -json would print and the text
// terraform plan would print. They stay on disk so that, as in lockstep, the
// plan JSON is never held in memory unless the operation measured holds it;
// a plan JSON kept in memory would also raise the garbage collector's heap
// goal and so every peak measured beside it.
type fixture struct {
	n        int
	jsonPath string
	textPath string
	jsonSize int
}

var (
	fixturesMu  sync.Mutex
	fixturesDir string
	fixtures    = map[int]*fixture{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixturesDir != "" {
		os.RemoveAll(fixturesDir)
	}
	os.Exit(code)
}

// fixtureFor generates (once per process) the plan with n resource changes.
func fixtureFor(n int) *fixture {
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f, ok := fixtures[n]; ok {
		return f
	}
	if fixturesDir == "" {
		dir, err := os.MkdirTemp("", "lockstep-bench-")
		if err != nil {
			panic(err)
		}
		fixturesDir = dir
	}
	f := &fixture{
		n:        n,
		jsonPath: filepath.Join(fixturesDir, fmt.Sprintf("plan-%d.json", n)),
		textPath: filepath.Join(fixturesDir, fmt.Sprintf("plan-%d.txt", n)),
	}
	out, err := os.Create(f.jsonPath)
	if err == nil {
		err = WritePlan(out, n)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = os.WriteFile(f.textPath, []byte(PlanText(n)), 0o644)
	}
	if err != nil {
		panic(err)
	}
	st, err := os.Stat(f.jsonPath)
	if err != nil {
		panic(err)
	}
	f.jsonSize = int(st.Size())
	fixtures[n] = f
	return f
}

// json reads the whole plan JSON into memory.
func (f *fixture) json() []byte {
	b, err := os.ReadFile(f.jsonPath)
	if err != nil {
		panic(err)
	}
	return b
}

// capturedText is the plan text as terraform plan printed it.
func (f *fixture) capturedText() string {
	b, err := os.ReadFile(f.textPath)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// text is the plan text cut to the plan, as the renderers get it.
func (f *fixture) text() string { return terraform.DisplayText(f.capturedText()) }

// meta is what the plan command passes to the renderers.
func meta(fingerprint string) comment.Meta {
	return comment.Meta{
		Directory: "infra/production", Environment: "production",
		Commit: "3f9a2c1d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", RunURL: "https://github.com/octo-org/shop/actions/runs/4211",
		EngineVersion: TerraformVersion, LockstepVersion: "0.1.0",
		PlanSHA256:  "9c1e5b0a7d3f4e2b1a0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a",
		Fingerprint: fingerprint,
		Next:        "Merging this pull request plans again on the target branch; that plan is applied to **production** only after one of the environment's required reviewers approves it on the run page.",
		Now:         time.Date(2026, 11, 25, 18, 40, 0, 0, time.UTC),
	}
}

// fullDecode is what terraform-exec's ShowPlanFile does with the output of
// terraform show -json: hold all of it, then decode all of it into
// tfjson.Plan with encoding/json.
func fullDecode(f *fixture) *tfjson.Plan {
	var p tfjson.Plan
	if err := json.Unmarshal(f.json(), &p); err != nil {
		panic(err)
	}
	return &p
}

// decode is lockstep's: decode while reading (from a file here, from
// Terraform's stdout in lockstep).
func decode(f *fixture) *tfjson.Plan {
	in, err := os.Open(f.jsonPath)
	if err != nil {
		panic(err)
	}
	defer in.Close()
	p, err := plan.Decode(in)
	if err != nil {
		panic(err)
	}
	return p
}

func summarize(p *tfjson.Plan) *plan.Summary {
	s, err := plan.Summarize(p)
	if err != nil {
		panic(err)
	}
	return s
}

// bodies are what one plan run produces from the plan JSON and Terraform's
// captured plan text.
type bodies struct{ comment, summary string }

// wholePath is what lockstep plan does between terraform show -json and
// writing its results, in the same order: decode, summarise, fingerprint,
// register the secrets with the reporter's masker, print the plan text
// through it, render the comment (redacted again before posting) and the
// job summary (redacted again before writing). captured is Terraform's plan text, which
// the plan command holds from terraform plan on.
func wholePath(f *fixture, captured string) bodies {
	p := decode(f)
	s := summarize(p)
	fp := plan.Fingerprint(p)
	// The plan command's reporter: it masks the secrets (::add-mask::
	// commands) and prints the plan text to the log.
	r := actions.NewActionReporter(io.Discard, func(string) string { return "" })
	r.Mask(s.Secrets...)
	text := terraform.DisplayText(captured)
	_, _ = io.WriteString(r.Log(), text)
	r.Flush()
	m := r.Masker()
	mt := meta(fp)
	return bodies{
		comment: m.Redact(comment.Render(s, text, mt, comment.Options{Marker: true})),
		summary: m.Redact(comment.RenderSummary(s, text, mt)),
	}
}

// sized runs one sub-benchmark per size, reporting MB/s of plan JSON and,
// measured on a separate untimed run, the peak heap the operation added and
// that peak as a multiple of the plan JSON's size.
func sized(b *testing.B, op func(f *fixture) func()) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			f := fixtureFor(n)
			run := op(f)
			pk := measure(run)
			b.SetBytes(int64(f.jsonSize))
			b.ResetTimer()
			for b.Loop() {
				run()
			}
			b.StopTimer()
			perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perOp/float64(n), "ns/change")
			b.ReportMetric(float64(pk.heap)/(1<<20), "peak-MiB")
			b.ReportMetric(float64(pk.heap)/float64(f.jsonSize), "peak/json")
			b.ReportMetric(float64(pk.rss)/(1<<20), "rss-MiB")
			b.ReportMetric(float64(f.jsonSize)/(1<<20), "json-MiB")
		})
	}
}

// BenchmarkFullDecode is the reference floor: the whole plan JSON decoded
// into tfjson.Plan with encoding/json, as terraform-exec's ShowPlanFile does
// (after buffering all of it).
func BenchmarkFullDecode(b *testing.B) {
	sized(b, func(f *fixture) func() { return func() { fullDecode(f) } })
}

// BenchmarkDecode is lockstep's streaming decode of the same JSON.
func BenchmarkDecode(b *testing.B) {
	sized(b, func(f *fixture) func() { return func() { decode(f) } })
}

func BenchmarkSummarize(b *testing.B) {
	sized(b, func(f *fixture) func() {
		p := decode(f)
		return func() { summarize(p) }
	})
}

func BenchmarkFingerprint(b *testing.B) {
	sized(b, func(f *fixture) func() {
		p := decode(f)
		return func() { plan.Fingerprint(p) }
	})
}

// BenchmarkRenderComment renders the pull request comment.
func BenchmarkRenderComment(b *testing.B) {
	sized(b, func(f *fixture) func() {
		p := decode(f)
		s, mt, text := summarize(p), meta(plan.Fingerprint(p)), f.text()
		return func() { comment.Render(s, text, mt, comment.Options{Marker: true}) }
	})
}

// BenchmarkRenderSummary renders the job summary.
func BenchmarkRenderSummary(b *testing.B) {
	sized(b, func(f *fixture) func() {
		p := decode(f)
		s, mt, text := summarize(p), meta(plan.Fingerprint(p)), f.text()
		return func() { comment.RenderSummary(s, text, mt) }
	})
}

// BenchmarkMask registers the plan's secrets with the reporter (which
// prints their ::add-mask:: commands) and prints the plan text to the log
// through its masker, as the plan command does.
func BenchmarkMask(b *testing.B) {
	sized(b, func(f *fixture) func() {
		s, text := summarize(decode(f)), f.text()
		return func() {
			r := actions.NewActionReporter(io.Discard, func(string) string { return "" })
			r.Mask(s.Secrets...)
			_, _ = io.WriteString(r.Log(), text)
			r.Flush()
		}
	})
}

// BenchmarkWholePath goes from the plan JSON bytes to both Markdown bodies.
func BenchmarkWholePath(b *testing.B) {
	sized(b, func(f *fixture) func() {
		captured := f.capturedText()
		return func() { wholePath(f, captured) }
	})
}

// BenchmarkBudget checks the budgets in one run: it alternates the full
// decode and the whole path (five times each after a warm-up, each from an
// empty heap) and reports the ratio of their medians, and the whole path's
// peak heap as a multiple of the plan JSON's size. The budgets: path/full <= 0.8 and peak/json <=
// 3.5. Nothing here fails on timing; the numbers are for reading.
func BenchmarkBudget(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			f := fixtureFor(n)
			text := f.capturedText()
			pk := measure(func() { wholePath(f, text) })
			fullPk := measure(func() { fullDecode(f) })
			var full, path []time.Duration
			for b.Loop() {
				full, path = full[:0], path[:0]
				fullDecode(f)
				wholePath(f, text)
				for range 5 {
					full = append(full, fresh(func() { fullDecode(f) }))
					path = append(path, fresh(func() { wholePath(f, text) }))
				}
			}
			mf, mp := median(full), median(path)
			b.ReportMetric(float64(mf.Microseconds())/1000, "full-ms")
			b.ReportMetric(float64(mp.Microseconds())/1000, "path-ms")
			b.ReportMetric(float64(mp)/float64(mf), "path/full")
			b.ReportMetric(float64(pk.heap)/float64(f.jsonSize), "peak/json")
			b.ReportMetric(float64(pk.rss)/float64(f.jsonSize), "rss/json")
			b.ReportMetric(float64(fullPk.heap)/float64(f.jsonSize), "full-peak/json")
			b.ReportMetric(float64(fullPk.rss)/float64(f.jsonSize), "full-rss/json")
			b.ReportMetric(float64(mp.Nanoseconds())/float64(n), "path-ns/change")
		})
	}
}

// fresh times f starting from an empty heap, as in a new lockstep process:
// without it, a run would inherit the heap (and the garbage collector's
// pacing) of the 1.4 GiB full decode before it.
func fresh(f func()) time.Duration {
	runtime.GC()
	debug.FreeOSMemory()
	start := time.Now()
	f()
	return time.Since(start)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
