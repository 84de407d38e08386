package cloudformation

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
)

// planFormat names the saved plan's format; bump it when its shape
// changes, so an older lockstep refuses a plan it would misread.
const planFormat = "lockstep-cloudformation-plan/v1"

// savedPlan is the saved plan file: everything apply needs to execute
// exactly the reviewed change set and to refuse anything else, and the
// described changes so that ReadPlan needs no network. Its bytes are what
// the binding record hashes: encoding is deterministic (fixed field order,
// no maps, no times).
type savedPlan struct {
	Format string `json:"format"`
	Stack  string `json:"stack"`
	Region string `json:"region,omitempty"`
	// Template and ParametersFile are as the inputs name them, relative to
	// the working directory; their SHA-256 are of the file bytes.
	Template         string `json:"template"`
	TemplateSHA256   string `json:"templateSha256"`
	ParametersFile   string `json:"parametersFile,omitempty"`
	ParametersSHA256 string `json:"parametersSha256,omitempty"`
	// ContentSHA256 is the hash the change set's name comes from.
	ContentSHA256 string `json:"contentSha256"`
	// HasChanges is false when CloudFormation found nothing to change; the
	// change set is then deleted and its fields below are empty.
	HasChanges    bool   `json:"hasChanges"`
	ChangeSetName string `json:"changeSetName,omitempty"`
	ChangeSetARN  string `json:"changeSetArn,omitempty"`
	ChangeSetType string `json:"changeSetType,omitempty"`
	StackID       string `json:"stackId,omitempty"`
	// NoEcho are the names of the template's NoEcho parameters (never
	// their values), so that ReadPlan knows which values to mask.
	NoEcho  []string       `json:"noEchoParameters,omitempty"`
	Changes []resourceDiff `json:"changes"`
}

// resourceDiff is one described ResourceChange, without values.
type resourceDiff struct {
	// Address is the logical ID, prefixed by its nested stacks' logical
	// IDs ("Network/Subnet").
	Address     string       `json:"address"`
	LogicalID   string       `json:"logicalId"`
	PhysicalID  string       `json:"physicalId,omitempty"`
	Type        string       `json:"type"`
	Action      string       `json:"action"`
	Replacement string       `json:"replacement,omitempty"`
	Scope       []string     `json:"scope,omitempty"`
	Details     []diffDetail `json:"details,omitempty"`
}

// diffDetail is one ResourceChangeDetail: which attribute or property
// changes, why, and whether it recreates the resource.
type diffDetail struct {
	Attribute          string `json:"attribute"`
	Name               string `json:"name,omitempty"`
	RequiresRecreation string `json:"requiresRecreation,omitempty"`
	ChangeSource       string `json:"changeSource,omitempty"`
	Evaluation         string `json:"evaluation,omitempty"`
	CausingEntity      string `json:"causingEntity,omitempty"`
}

// encode is the plan file's bytes.
func (p *savedPlan) encode() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("encoding the saved CloudFormation plan: %w", err)
	}
	return b.Bytes(), nil
}

// decodePlan reads a saved plan, refusing another format.
func decodePlan(raw []byte) (*savedPlan, error) {
	var p savedPlan
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("decoding the saved CloudFormation plan: %w", err)
	}
	if p.Format != planFormat {
		return nil, fmt.Errorf("decoding the saved CloudFormation plan: its format is %q, this lockstep reads %q: re-run the plan with this lockstep", p.Format, planFormat)
	}
	if p.Stack == "" || p.TemplateSHA256 == "" {
		return nil, fmt.Errorf("decoding the saved CloudFormation plan: it names no stack or template")
	}
	if p.HasChanges && (p.ChangeSetARN == "" || p.ChangeSetName == "") {
		return nil, fmt.Errorf("decoding the saved CloudFormation plan: it has changes but names no change set")
	}
	return &p, nil
}

// readPlanFile reads and decodes a saved plan file.
func readPlanFile(path string) (*savedPlan, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the saved CloudFormation plan: %w", err)
	}
	return decodePlan(raw)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// contentVersion prefixes the hashed planned content; bump it when the
// content hashed changes.
const contentVersion = "lockstep-cloudformation-content-v1"

// contentSHA256 identifies what a plan submits: the stack, the change set
// type and the template and parameters files. The same content planned
// again gets the same change set name (and replaces the earlier one).
func contentSHA256(stack, changeSetType, templateSHA, parametersSHA string) string {
	b, _ := json.Marshal([]string{contentVersion, stack, changeSetType, templateSHA, parametersSHA})
	return sha256Hex(b)
}

// changeSetName is lockstep-<12 hex of the content hash>: a valid change
// set name (a letter first, then letters, digits and hyphens, at most 128).
func changeSetName(content string) string { return "lockstep-" + content[:12] }

// fingerprintVersion prefixes the hashed fingerprint entries.
const fingerprintVersion = "lockstep-cloudformation-fingerprint-v1"

// fingerprint identifies a plan's changes, not its file (whose change set
// ARN is new on every plan): the stack, the change set type, the template
// and parameters hashes (a template changing only outputs has no resource
// changes) and the described changes.
func fingerprint(p *savedPlan) string {
	b, _ := json.Marshal(struct {
		V, Stack, Type, Template, Parameters string
		HasChanges                           bool
		Changes                              []resourceDiff
	}{fingerprintVersion, p.Stack, p.ChangeSetType, p.TemplateSHA256, p.ParametersSHA256, p.HasChanges, p.Changes})
	return sha256Hex(b)
}
