package redact

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

const placeholder = "(sensitive value)"

// reference is strings.Replacer, whose results a Replacer must give.
func reference(secrets []string, s string) string {
	var pairs []string
	for _, sec := range secrets {
		if sec != "" {
			pairs = append(pairs, sec, placeholder)
		}
	}
	if len(pairs) == 0 {
		return s
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

func TestReplacerMatchesStringsReplacer(t *testing.T) {
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
		{[]string{"secret"}, "secret"}, // the whole text
	}
	for _, c := range cases {
		assert.Equal(t, reference(c.secrets, c.text), New(c.secrets, placeholder).Replace(c.text), "%q in %q", c.secrets, c.text)
	}
}

// With thousands of secrets the bitmap is larger; every secret must still be
// found, and so must text that only shares a prefix with one.
func TestReplacerManySecrets(t *testing.T) {
	var secrets []string
	var text strings.Builder
	for i := range 5000 {
		s := fmt.Sprintf("tok-%05d-%x", i, i*7919)
		secrets = append(secrets, s)
		fmt.Fprintf(&text, "k%d = %q, tok-%05d-no\n", i, s, i)
	}
	got := New(secrets, placeholder).Replace(text.String())
	assert.True(t, reference(secrets, text.String()) == got, "differs from strings.Replacer")
	assert.False(t, strings.Contains(got, secrets[42]), "a secret is left")
	assert.True(t, strings.Contains(got, "k42 = \"(sensitive value)\", tok-00042-no\n"))
}

// Text without a secret comes back as it is, not copied: the comment and
// the job summary are redacted again before they leave, and have nothing
// left to redact by then.
func TestReplacerDoesNotCopyCleanText(t *testing.T) {
	text := strings.Repeat("no secret here\n", 1000)
	got := New([]string{"hunter2", "s3cr3t"}, "***").Replace(text)
	assert.Equal(t, unsafe.StringData(text), unsafe.StringData(got))
	var r *Replacer
	assert.Equal(t, "x", r.Replace("x"))
	assert.Nil(t, New([]string{"", ""}, "***"))
}

func FuzzReplacer(f *testing.F) {
	f.Add("abc", "abcdef", "zabcdefabcz abc")
	f.Add("aa", "aaa", "aaaaaaa")
	f.Fuzz(func(t *testing.T, a, b, text string) {
		secrets := []string{a, b}
		r := New(secrets, placeholder)
		want := reference(secrets, text)
		if got := r.Replace(text); got != want {
			t.Fatalf("secrets %q text %q: got %q, want %q", secrets, text, got, want)
		}
		var w strings.Builder
		if err := r.ReplaceTo(&w, text); err != nil || w.String() != want {
			t.Fatalf("ReplaceTo: secrets %q text %q: got %q, want %q", secrets, text, w.String(), want)
		}
	})
}

func TestSpansLines(t *testing.T) {
	r := New([]string{"-----BEGIN KEY-----\nabc\n-----END KEY-----", "one-line"}, "***")
	assert.False(t, r.SpansLines("one-line\nand -----BEGIN KEY-----\nabd"))
	assert.True(t, r.SpansLines("x -----BEGIN KEY-----\nabc\n-----END KEY----- y"))
	assert.False(t, New([]string{"one-line"}, "***").SpansLines("one-line\n"))
	var none *Replacer
	assert.False(t, none.SpansLines("x"))
}

// A multi-line secret that occurs but is not chosen (an earlier secret in
// the order matches there) does not span lines.
func TestSpansLinesFollowsTheChoice(t *testing.T) {
	r := New([]string{"abc", "abc\ndef"}, "***")
	assert.False(t, r.SpansLines("x abc\ndef"))
	r = New([]string{"abc\ndef", "abc"}, "***")
	assert.True(t, r.SpansLines("x abc\ndef"))
}

func TestWorthMasking(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{"{", false}, {"}", false}, {"],", false}, {"  },  ", false}, {"\"\":", false},
		{"ab", false}, {"true", false}, {"null", false}, {"", false}, {"   ", false}, {"{}[]", false},
		{"abc", true}, {"\"db\": \"x\"", true}, {"1234", true}, {"{\n\"a\":1\n}", true}, {"ключ", true},
	} {
		assert.Equal(t, tc.want, WorthMasking(tc.v), "WorthMasking(%q)", tc.v)
	}
}

func TestReplaceKeeping(t *testing.T) {
	keep := NewKeep([]string{"null_resource.bar", `resource "null_resource" "bar"`, ""})
	cases := []struct {
		secrets    []string
		text, want string
	}{
		// A secret inside a kept word stays; elsewhere it goes.
		{[]string{"bar"}, `# null_resource.bar will be created: "bar"`, `# null_resource.bar will be created: "(sensitive value)"`},
		{[]string{"bar"}, `resource "null_resource" "bar" {`, `resource "null_resource" "bar" {`},
		// Only a whole occurrence of the kept word protects it.
		{[]string{"bar"}, `null_resource.ba bar`, `null_resource.ba (sensitive value)`},
		{[]string{"bar"}, `xnull_resource.barx`, `xnull_resource.barx`},
		// A secret overlapping the kept word's end is still replaced.
		{[]string{"bar", "ar-tail"}, `null_resource.bar-tail`, `null_resource.b(sensitive value)`},
		// The whole kept word as a secret is not inside it: replaced.
		{[]string{"null_resource.bar"}, `null_resource.bar`, placeholder},
		{nil, "bar", "bar"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, New(c.secrets, placeholder).ReplaceKeeping(c.text, keep), "%q in %q", c.secrets, c.text)
	}
	// Without kept words it is Replace.
	assert.Equal(t, "x (sensitive value)", New([]string{"bar"}, placeholder).ReplaceKeeping("x bar", nil))
	assert.Equal(t, "x (sensitive value)", New([]string{"bar"}, placeholder).ReplaceKeeping("x bar", NewKeep(nil)))
}

func TestContains(t *testing.T) {
	assert.True(t, New([]string{"secret"}, placeholder).Contains("a secret b"))
	assert.False(t, New([]string{"secret"}, placeholder).Contains("a secre b"))
	assert.True(t, New([]string{"ab"}, placeholder).Contains("xaby")) // under 3 bytes
	assert.False(t, (*Replacer)(nil).Contains("anything"))
}

// NewKeepFor keeps only the named secrets whole inside kept words.
func TestKeepFor(t *testing.T) {
	keep := NewKeepFor([]string{`x.y["bar"]`, `x.y["tok-123"]`}, []string{"bar"})
	r := New([]string{"tok-123", "bar"}, placeholder)
	assert.Equal(t, `x.y["bar"] x.y["(sensitive value)"] (sensitive value)`, r.ReplaceKeeping(`x.y["bar"] x.y["tok-123"] bar`, keep))
}
