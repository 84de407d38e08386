package pulumi

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchInput is a saved plan and a preview's event log of n resources, in
// Pulumi's formats: per 10 resources 1 create, 3 updates, 1 replace, 1
// delete and 4 unchanged, each with a few inputs.
func benchInput(b *testing.B, n int) (planJSON []byte, eventsPath string) {
	b.Helper()
	ops := []string{"create", "update", "update", "update", "replace", "delete", "same", "same", "same", "same"}
	plans := map[string]any{}
	var events strings.Builder
	for i := range n {
		op := ops[i%len(ops)]
		urn := fmt.Sprintf("urn:pulumi:prod::shop::aws:ec2/instance:Instance::web-%05d", i)
		steps := []string{op}
		if op == "replace" {
			steps = []string{"create-replacement", "replace", "delete-replaced"}
		}
		inputs := map[string]any{"ami": "ami-0123456789abcdef0", "instanceType": "t3.micro", "tags": map[string]any{"Name": fmt.Sprintf("web-%d", i), "team": "shop"}}
		plans[urn] = map[string]any{
			"goal":  map[string]any{"type": "aws:ec2/instance:Instance", "name": fmt.Sprintf("web-%05d", i), "custom": true, "inputDiff": map[string]any{"updates": map[string]any{"instanceType": "t3.small"}}},
			"steps": steps,
			"state": inputs,
		}
		ev := map[string]any{"sequence": i, "timestamp": 1, "resourcePreEvent": map[string]any{"metadata": map[string]any{
			"op": op, "urn": urn, "type": "aws:ec2/instance:Instance",
			"old": map[string]any{"inputs": inputs, "outputs": inputs}, "new": map[string]any{"inputs": inputs, "outputs": inputs},
			"keys": []string{"ami"}, "diffs": []string{"instanceType"}, "detailedDiff": map[string]any{"instanceType": map[string]any{"diffKind": "update"}},
		}}}
		line, err := json.Marshal(ev)
		if err != nil {
			b.Fatal(err)
		}
		events.Write(line)
		events.WriteByte('\n')
	}
	planJSON, err := json.Marshal(map[string]any{"manifest": map[string]any{"time": "2026-12-02T00:00:00Z"}, "resourcePlans": plans})
	if err != nil {
		b.Fatal(err)
	}
	eventsPath = filepath.Join(b.TempDir(), "events.jsonl")
	if err := os.WriteFile(eventsPath, []byte(events.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	return planJSON, eventsPath
}

// BenchmarkSummary is lockstep's cost of a 10,000-resource preview: the
// saved plan to a Summary and Fingerprint, enriched from the event log.
// BenchmarkPlainDecode is the reference: encoding/json of the same bytes
// into any.
func BenchmarkSummary(b *testing.B) {
	planJSON, events := benchInput(b, 10000)
	b.SetBytes(int64(len(planJSON)))
	b.ResetTimer()
	for b.Loop() {
		dp, err := decodePlan(planJSON)
		if err != nil {
			b.Fatal(err)
		}
		s := summarize(dp)
		_ = fingerprint(dp)
		evs, err := readEvents(events)
		if err != nil {
			b.Fatal(err)
		}
		enrich(s, evs)
	}
}

func BenchmarkPlainDecode(b *testing.B) {
	planJSON, events := benchInput(b, 10000)
	b.SetBytes(int64(len(planJSON)))
	b.ResetTimer()
	for b.Loop() {
		var x any
		if err := json.Unmarshal(planJSON, &x); err != nil {
			b.Fatal(err)
		}
		raw, err := os.ReadFile(events)
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			var y any
			if err := json.Unmarshal([]byte(line), &y); err != nil {
				b.Fatal(err)
			}
		}
	}
}
