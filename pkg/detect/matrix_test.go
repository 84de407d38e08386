package detect

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func stackNames(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("stacks/s%04d", i)
	}
	return s
}

func TestMatrix(t *testing.T) {
	tests := []struct {
		name    string
		stacks  []string
		env     string
		want    string
		wantErr string
	}{
		{
			name:   "stacks in the order given",
			stacks: []string{"infra/db", "infra/app"},
			env:    "production",
			want:   `{"include":[{"directory":"infra/db","environment":"production"},{"directory":"infra/app","environment":"production"}]}`,
		},
		{
			name:   "no environment",
			stacks: []string{"."},
			want:   `{"include":[{"directory":".","environment":""}]}`,
		},
		{
			name: "no stacks",
			want: `{"include":[]}`,
		},
		{
			name:   "characters that need escaping",
			stacks: []string{`infra/"quoted"`},
			env:    "a<b",
			want:   `{"include":[{"directory":"infra/\"quoted\"","environment":"a\u003cb"}]}`,
		},
		{
			name:   "exactly the limit",
			stacks: stackNames(256),
			env:    "dev",
		},
		{
			name:    "over GitHub's limit",
			stacks:  stackNames(257),
			env:     "dev",
			wantErr: "rendering the stacks matrix: 257 stacks exceed GitHub's limit of 256 jobs per matrix; split them with SplitMatrix",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Matrix(tt.stacks, tt.env)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			if tt.want != "" {
				assert.Equal(t, tt.want, got)
			}
			var m struct {
				Include []map[string]string `json:"include"`
			}
			require.NoError(t, json.Unmarshal([]byte(got), &m))
			assert.Len(t, m.Include, len(tt.stacks))
		})
	}
}

func TestSplitMatrix(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		max   int
		sizes []int
	}{
		{"none", 0, 0, nil},
		{"one chunk", 3, 0, []int{3}},
		{"default chunk is GitHub's limit", 600, 0, []int{256, 256, 88}},
		{"max above the limit is capped", 300, 1000, []int{256, 44}},
		{"smaller chunks", 5, 2, []int{2, 2, 1}},
		{"exact multiple", 512, 256, []int{256, 256}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stacks := stackNames(tt.n)
			got := SplitMatrix(stacks, "prod", tt.max)
			require.Len(t, got, len(tt.sizes))
			var all []string
			for i, chunk := range got {
				var m struct {
					Include []struct{ Directory, Environment string } `json:"include"`
				}
				require.NoError(t, json.Unmarshal([]byte(chunk), &m))
				assert.Len(t, m.Include, tt.sizes[i])
				for _, e := range m.Include {
					assert.Equal(t, "prod", e.Environment)
					all = append(all, e.Directory)
				}
			}
			if tt.n > 0 {
				assert.Equal(t, stacks, all, "every stack once, in order")
			}
		})
	}
}
