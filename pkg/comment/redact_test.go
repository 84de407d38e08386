package comment

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// reference is what the renderer used before the redactor.
func reference(secrets []string, s string) string {
	var pairs []string
	for _, sec := range secrets {
		if sec != "" {
			pairs = append(pairs, sec, redacted)
		}
	}
	if len(pairs) == 0 {
		return s
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

func TestRedactorMatchesReplacer(t *testing.T) {
	cases := []struct {
		secrets []string
		text    string
	}{
		{nil, "nothing"},
		{[]string{""}, "nothing"},
		{[]string{"secret"}, "a secret, secrets and secret"},
		{[]string{"abcdef", "abc"}, "abcdef abc abcde ab"}, // longest first wins
		{[]string{"abc", "abcdef"}, "abcdef abc"},          // order decides, as in strings.Replacer
		{[]string{"aaa"}, "aaaaaaa"},                       // no overlaps
		{[]string{"xyz"}, "xy"},                            // shorter than a secret
		{[]string{"ab", "abcd"}, "abcd ab a"},              // a secret under 3 bytes
		{[]string{"line one\nline two", "line one"}, "x line one\nline two y line one"},
		{[]string{"é-secret", "日本語のひみつ"}, "é-secret 日本語のひみつ!"},
		{[]string{"end"}, "the end"},
		{[]string{"sec", "sec"}, "sec sec"},
	}
	for _, c := range cases {
		assert.Equal(t, reference(c.secrets, c.text), newRedactor(c.secrets, redacted).Replace(c.text), "%q in %q", c.secrets, c.text)
	}
}

func FuzzRedactor(f *testing.F) {
	f.Add("abc", "abcdef", "zabcdefabcz abc")
	f.Add("aa", "aaa", "aaaaaaa")
	f.Fuzz(func(t *testing.T, a, b, text string) {
		secrets := []string{a, b}
		if got, want := newRedactor(secrets, redacted).Replace(text), reference(secrets, text); got != want {
			t.Fatalf("secrets %q text %q: got %q, want %q", secrets, text, got, want)
		}
	})
}
