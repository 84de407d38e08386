package plan

import (
	"fmt"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
)

// bigPlan repeats the resource changes of a real plan until it has n.
func bigPlan(b *testing.B, n int) *tfjson.Plan {
	b.Helper()
	base := loadPlan(b, "medium")
	p := *base
	p.ResourceChanges = make([]*tfjson.ResourceChange, 0, n)
	for i := 0; len(p.ResourceChanges) < n; i++ {
		rc := *base.ResourceChanges[i%len(base.ResourceChanges)]
		rc.Address = fmt.Sprintf("%s_%d", rc.Address, i)
		p.ResourceChanges = append(p.ResourceChanges, &rc)
	}
	return &p
}

func BenchmarkSummarize(b *testing.B) {
	for _, n := range []int{10000, 50000} {
		p := bigPlan(b, n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Summarize(p); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("fingerprint/%d", n), func(b *testing.B) {
			for b.Loop() {
				Fingerprint(p)
			}
		})
	}
}
