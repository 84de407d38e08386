package comment

import (
	"fmt"
	"testing"
)

func BenchmarkRender(b *testing.B) {
	for _, n := range []int{1000, 10000, 50000} {
		s, text := huge(n, 1<<20)
		m := testMeta("4be1c0d7a1b2c3d4")
		b.Run(fmt.Sprintf("comment/%d", n), func(b *testing.B) {
			for b.Loop() {
				Render(s, text, m, Options{Marker: true})
			}
		})
		b.Run(fmt.Sprintf("summary/%d", n), func(b *testing.B) {
			for b.Loop() {
				RenderSummary(s, text, m)
			}
		})
	}
}
