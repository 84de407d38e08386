package actions

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// RedactRendered keeps the registered names whole where a plan secret
// occurs inside them, in text and in JSON bodies; Redact (the log) and the
// run's other secrets are not affected.
func TestMaskerKeepsNamesInRendered(t *testing.T) {
	m := NewMasker()
	m.Add("bar", "tok-run-secret")
	m.Keep([]string{"bar"}, []string{`x.y["bar"]`, `x.y["tok-run-secret"]`, "terraform_data.bar"})
	assert.Equal(t, "terraform_data.bar = ***", m.RedactRendered("terraform_data.bar = bar"))
	assert.Equal(t, `{"body":"x.y[\"bar\"] x.y[\"***\"]"}`, m.RedactRendered(`{"body":"x.y[\"bar\"] x.y[\"tok-run-secret\"]"}`))
	assert.Equal(t, "terraform_data.*** = ***", m.Redact("terraform_data.bar = bar"))
}
