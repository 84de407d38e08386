package pulumi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/plan"
)

// benchResources is the size of the preview benchmarked.
const benchResources = 10000

// benchFiles are a saved plan and a preview's event log of n resources,
// in the shapes Pulumi 3.274 writes them
// (taken from a real preview of the test provider's resources): per 10
// resources 1 create, 3 updates, 1 replace, 1 delete and 4 unchanged, each
// with a handful of inputs. The event log has, as Pulumi's does, a
// resourcePreEvent and a resOutputsEvent for every step (three for a
// replace), each with the resource's whole old and new state, plus the
// prelude, a warning per 100 resources and the summary.
type benchFiles struct {
	plan, events string
}

func benchInput(tb testing.TB, n int) benchFiles {
	tb.Helper()
	const (
		stack    = "urn:pulumi:prod::shop::pulumi:pulumi:Stack::shop-prod"
		provider = "urn:pulumi:prod::shop::pulumi:providers:aws::default_6_0_0::d45378c1-84d9-4da5-b464-978c8224d12d"
		typ      = "aws:ec2/instance:Instance"
	)
	ops := []string{"create", "update", "update", "update", "replace", "delete", "same", "same", "same", "same"}
	plans := map[string]any{}
	var events strings.Builder
	seq := 0
	line := func(kind string, body any) {
		b, err := json.Marshal(map[string]any{"sequence": seq, "timestamp": 1796299494, kind: body})
		if err != nil {
			tb.Fatal(err)
		}
		seq++
		events.Write(b)
		events.WriteByte('\n')
	}
	state := func(urn, id string, inputs map[string]any) map[string]any {
		return map[string]any{"type": typ, "urn": urn, "custom": true, "id": id, "parent": stack, "inputs": inputs, "outputs": inputs, "provider": provider}
	}
	stackOutputs := func(v string) map[string]any {
		return map[string]any{"endpoint": "https://shop.example.com/" + v, "count": n, "token": "[secret]"}
	}
	line("preludeEvent", map[string]any{"config": map[string]any{"shop:password": "[secret]", "aws:region": "eu-west-1"}})
	line("resourcePreEvent", map[string]any{"metadata": map[string]any{"op": "same", "urn": stack, "type": "pulumi:pulumi:Stack",
		"old": map[string]any{"type": "pulumi:pulumi:Stack", "urn": stack, "outputs": stackOutputs("v1")}, "new": map[string]any{"type": "pulumi:pulumi:Stack", "urn": stack}, "provider": ""}, "planning": true})
	for i := range n {
		op := ops[i%len(ops)]
		name := fmt.Sprintf("web-%05d", i)
		urn := "urn:pulumi:prod::shop::" + typ + "::" + name
		oldIn := map[string]any{"ami": "ami-0123456789abcdef0", "instanceType": "t3.micro", "subnetId": "subnet-0a1b2c3d", "tags": map[string]any{"Name": name, "team": "shop"}}
		newIn := map[string]any{"ami": "ami-0123456789abcdef0", "instanceType": "t3.micro", "subnetId": "subnet-0a1b2c3d", "tags": map[string]any{"Name": name, "team": "shop"}}
		steps := []string{op}
		var diffs []string
		var detailed map[string]any
		var inputDiff map[string]any
		switch op {
		case "create":
			inputDiff = map[string]any{"adds": newIn}
		case "update":
			newIn["instanceType"] = "t3.small"
			diffs = []string{"instanceType"}
			detailed = map[string]any{"instanceType": map[string]any{"diffKind": "update", "inputDiff": true}}
			inputDiff = map[string]any{"updates": map[string]any{"instanceType": "t3.small"}}
		case "replace":
			newIn["ami"] = "ami-0fedcba9876543210"
			steps = []string{"create-replacement", "replace", "delete-replaced"}
			diffs = []string{"ami"}
			detailed = map[string]any{"ami": map[string]any{"diffKind": "update-replace", "inputDiff": true}}
			inputDiff = map[string]any{"updates": map[string]any{"ami": "ami-0fedcba9876543210"}}
		}
		rp := map[string]any{"steps": steps, "state": nil}
		if op != "delete" {
			rp["goal"] = map[string]any{"type": typ, "name": name, "custom": true, "inputDiff": inputDiff, "outputDiff": map[string]any{},
				"parent": stack, "protect": false, "provider": provider, "propertyDependencies": map[string]any{"ami": []string{}, "instanceType": []string{}, "subnetId": []string{}, "tags": []string{}}, "customTimeouts": map[string]any{}}
			rp["state"] = newIn
			rp["seed"] = "AQLa1An5pwyHZ1a6e2EDmjAxJ8l2ya1OoADonwxJf7E="
		}
		plans[urn] = rp
		for _, step := range steps {
			var old, nw map[string]any
			if op != "create" {
				old = state(urn, "i-"+name, oldIn)
			}
			if op != "delete" {
				nw = state(urn, "", newIn)
			}
			m := map[string]any{"op": step, "urn": urn, "type": typ, "old": old, "new": nw, "logical": true, "provider": provider}
			if diffs != nil {
				m["diffs"], m["detailedDiff"] = diffs, detailed
			}
			if op == "replace" {
				m["keys"] = diffs
			}
			line("resourcePreEvent", map[string]any{"metadata": m, "planning": true})
			line("resOutputsEvent", map[string]any{"metadata": m, "planning": true})
		}
		if i%100 == 0 {
			line("diagnosticEvent", map[string]any{"prefix": "warning: ", "message": "instance type t3.micro is deprecated in this region\n", "color": "never", "severity": "warning", "urn": urn})
		}
	}
	line("resOutputsEvent", map[string]any{"metadata": map[string]any{"op": "same", "urn": stack, "type": "pulumi:pulumi:Stack",
		"old": map[string]any{"type": "pulumi:pulumi:Stack", "urn": stack, "outputs": stackOutputs("v1")}, "new": map[string]any{"type": "pulumi:pulumi:Stack", "urn": stack, "outputs": stackOutputs("v2")}, "provider": ""}, "planning": true})
	line("summaryEvent", map[string]any{"maybeCorrupt": false, "durationSeconds": 22, "resourceChanges": map[string]int{"create": n / 10, "update": n / 10 * 3, "replace": n / 10, "delete": n / 10, "same": n / 10 * 4}, "PolicyPacks": map[string]any{}, "isPreview": true, "result": "succeeded"})

	planJSON, err := json.Marshal(map[string]any{
		"manifest":      map[string]any{"time": "2026-12-03T12:04:54.270086222Z", "magic": "bb3fbdb2b325804cfc8732e3b9b0faa48cee23731c0a0233d2c5c32fdb6b20e5", "version": "3.274.1"},
		"config":        map[string]any{"shop:password": map[string]any{"secure": "v1:XTeuuabMGhRHkCz7:cwAomy+hFDRQ7q2ESYG8IbOxpOt19P/cPrO+dijl+BE9hx65Q6FjtB0lNZkJ"}},
		"resourcePlans": plans,
	})
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	f := benchFiles{plan: filepath.Join(dir, "plan.json"), events: filepath.Join(dir, "events.jsonl")}
	if err := os.WriteFile(f.plan, planJSON, 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(f.events, []byte(events.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return f
}

// benchMeta is what the plan command passes to the comment renderer.
var benchMeta = comment.Meta{
	Directory: "infra/shop", Environment: "production", Engine: "pulumi", EngineVersion: "3.274.1",
	Commit: "3f9a2c1d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", RunURL: "https://github.com/octo-org/shop/actions/runs/4211",
	LockstepVersion: "0.1.0", PlanSHA256: "9c1e5b0a7d3f4e2b1a0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a",
	Now: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC),
}

// lockstepPath is what the plan command does with a preview's files:
// read and decode the saved plan, summarise and fingerprint it, read the
// event log and enrich the summary with it, write the text, render the
// comment.
func lockstepPath(tb testing.TB, f benchFiles) (*plan.Summary, string) {
	raw, err := os.ReadFile(f.plan)
	if err != nil {
		tb.Fatal(err)
	}
	dp, err := decodePlan(raw)
	if err != nil {
		tb.Fatal(err)
	}
	s := summarize(dp)
	m := benchMeta
	m.Fingerprint = fingerprint(dp)
	evs, err := readEvents(f.events)
	if err != nil {
		tb.Fatal(err)
	}
	enrich(s, evs)
	return s, comment.Render(s, previewText("prod", s, evs), m, comment.Options{Marker: true})
}

// plainDecode is the reference: encoding/json of the same two files into
// any, the plan whole and the event log a line at a time (read as
// lockstep reads it, through a bufio.Scanner).
func plainDecode(tb testing.TB, f benchFiles) {
	raw, err := os.ReadFile(f.plan)
	if err != nil {
		tb.Fatal(err)
	}
	var x any
	if err := json.Unmarshal(raw, &x); err != nil {
		tb.Fatal(err)
	}
	ev, err := os.Open(f.events)
	if err != nil {
		tb.Fatal(err)
	}
	defer ev.Close()
	sc := bufio.NewScanner(ev)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		var y any
		if err := json.Unmarshal(sc.Bytes(), &y); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
}

func inputBytes(tb testing.TB, f benchFiles) int64 {
	var n int64
	for _, p := range []string{f.plan, f.events} {
		st, err := os.Stat(p)
		if err != nil {
			tb.Fatal(err)
		}
		n += st.Size()
	}
	return n
}

// TestBenchInputSummary: the benchmark's path gives the summary the input
// was made for, so the benchmark times the real thing.
func TestBenchInputSummary(t *testing.T) {
	f := benchInput(t, 100)
	s, body := lockstepPath(t, f)
	assert := func(ok bool, format string, args ...any) {
		t.Helper()
		if !ok {
			t.Errorf(format, args...)
		}
	}
	assert(s.Add == 20 && s.Change == 30 && s.Destroy == 20 && s.Replace == 10, "counts %d %d %d %d", s.Add, s.Change, s.Destroy, s.Replace)
	i := slices.IndexFunc(s.Changes, func(c plan.Change) bool { return c.Action == plan.ActionReplace })
	assert(i >= 0 && slices.Equal(s.Changes[i].ReplacePaths, []string{"ami"}), "replace paths %v", s.Changes[i].ReplacePaths)
	assert(len(s.Outputs) == 2 && s.Outputs[0].Name == "endpoint" && s.Outputs[1].Sensitive, "outputs %v", s.Outputs)
	assert(strings.Contains(body, "Pulumi preview"), "comment:\n%s", body)
}

// BenchmarkSummary is lockstep's Summary/comment path on a 10,000-resource
// preview; BenchmarkPlainDecode the reference.
func BenchmarkSummary(b *testing.B) {
	f := benchInput(b, benchResources)
	b.SetBytes(inputBytes(b, f))
	b.ResetTimer()
	for b.Loop() {
		lockstepPath(b, f)
	}
}

func BenchmarkPlainDecode(b *testing.B) {
	f := benchInput(b, benchResources)
	b.SetBytes(inputBytes(b, f))
	b.ResetTimer()
	for b.Loop() {
		plainDecode(b, f)
	}
}

// BenchmarkSummaryRatio alternates the two on the same files and reports
// the ratio of their medians (target ≤ 0.8).
func BenchmarkSummaryRatio(b *testing.B) {
	f := benchInput(b, benchResources)
	var path, plain []time.Duration
	timed := func(run func(), into *[]time.Duration) {
		start := time.Now()
		run()
		*into = append(*into, time.Since(start))
	}
	i := 0
	for b.Loop() {
		p := func() { lockstepPath(b, f) }
		d := func() { plainDecode(b, f) }
		if i%2 == 0 {
			timed(p, &path)
			timed(d, &plain)
		} else {
			timed(d, &plain)
			timed(p, &path)
		}
		i++
	}
	med := func(ds []time.Duration) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[len(s)/2]
	}
	b.ReportMetric(float64(med(path).Microseconds())/1000, "path-ms")
	b.ReportMetric(float64(med(plain).Microseconds())/1000, "plain-ms")
	b.ReportMetric(float64(med(path))/float64(med(plain)), "path/plain")
}
