package cloudformation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"gopkg.in/yaml.v3"

	"github.com/lockstep-ci/lockstep/pkg/engine"
)

// maxTemplateBody is the largest template CloudFormation takes inline
// (TemplateBody); larger ones must come from S3 (TemplateURL), which
// lockstep does not upload.
const maxTemplateBody = 51200

// template is a parsed template: its YAML node tree (JSON templates parse
// as YAML too), with the lines people need in diagnostics.
type template struct {
	root *yaml.Node // the document's mapping
}

// parseTemplate parses a JSON or YAML template. The short-form tags
// (!Ref, !GetAtt, !Sub, ...) stay as tags on their nodes.
func parseTemplate(raw []byte) (*template, error) {
	var doc yaml.Node
	err := yaml.Unmarshal(raw, &doc)
	if err != nil && json.Valid(raw) {
		// JSON that YAML refuses (tabs, for one): decode it as JSON, without
		// lines.
		var v any
		if jerr := json.Unmarshal(raw, &v); jerr == nil {
			doc = yaml.Node{}
			err = doc.Encode(v)
			return &template{root: &doc}, err
		}
	}
	if err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("the template is empty")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &nodeError{root, "the template is not a mapping of sections (Resources, Parameters, ...)"}
	}
	return &template{root: root}, nil
}

// nodeError is a problem at a node.
type nodeError struct {
	node *yaml.Node
	msg  string
}

func (e *nodeError) Error() string { return e.msg }

// get is the value of key in a mapping node, and the key's node.
func get(m *yaml.Node, key string) (value, keyNode *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1], m.Content[i]
		}
	}
	return nil, nil
}

// pairs are a mapping node's (key, value) pairs.
func pairs(m *yaml.Node) [][2]*yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, [2]*yaml.Node{m.Content[i], m.Content[i+1]})
	}
	return out
}

// section is a top-level section.
func (t *template) section(name string) *yaml.Node {
	v, _ := get(t.root, name)
	return v
}

// parameter is a template parameter's declaration.
type parameter struct {
	Name    string
	NoEcho  bool
	Default *string
}

// parameters are the template's declared parameters, sorted by name.
func (t *template) parameters() []parameter {
	var out []parameter
	for _, kv := range pairs(t.section("Parameters")) {
		p := parameter{Name: kv[0].Value}
		if v, _ := get(kv[1], "NoEcho"); v != nil {
			p.NoEcho, _ = strconv.ParseBool(v.Value)
		}
		if v, _ := get(kv[1], "Default"); v != nil && v.Kind == yaml.ScalarNode {
			s := v.Value
			p.Default = &s
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// noEcho are the names of the NoEcho parameters.
func (t *template) noEcho() []string {
	var out []string
	for _, p := range t.parameters() {
		if p.NoEcho {
			out = append(out, p.Name)
		}
	}
	return out
}

// sections a template may have.
var sections = []string{"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings", "Conditions", "Transform", "Resources", "Outputs", "Hooks"}

// resourceAttributes are what a resource may hold besides Type and
// Properties.
var resourceAttributes = []string{"Type", "Properties", "DependsOn", "Condition", "Metadata", "DeletionPolicy", "UpdateReplacePolicy", "UpdatePolicy", "CreationPolicy"}

// pseudoParameters are the names Ref takes besides parameters and
// resources.
var pseudoParameters = []string{"AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix"}

// checker collects a template's diagnostics.
type checker struct {
	file  string
	spec  *resourceSpec
	diags []engine.Diagnostic
}

func (c *checker) add(warning bool, n *yaml.Node, summary, detail string) {
	d := engine.Diagnostic{Warning: warning, Summary: summary, Detail: detail, File: c.file}
	if n != nil {
		d.Line, d.Column = n.Line, n.Column
	}
	c.diags = append(c.diags, d)
}

// yamlLine is the line a yaml error names ("yaml: line 3: ...").
var yamlLine = regexp.MustCompile(`line (\d+)`)

// syntaxDiagnostic is a template that does not parse.
func syntaxDiagnostic(file string, err error) engine.Diagnostic {
	d := engine.Diagnostic{Summary: "the template does not parse as JSON or YAML", Detail: err.Error(), File: file}
	var ne *nodeError
	if errors.As(err, &ne) {
		d.Summary = ne.msg
		d.Detail = ""
		d.Line, d.Column = ne.node.Line, ne.node.Column
		return d
	}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		d.Line, _ = strconv.Atoi(m[1])
	}
	return d
}

// checkTemplate is validate's offline check of a template: its sections,
// each resource's type, attributes and property names (against the
// resource specification), required properties, and that every Ref and
// Fn::GetAtt names something the template declares.
func checkTemplate(file string, t *template, spec *resourceSpec) []engine.Diagnostic {
	c := &checker{file: file, spec: spec}
	for _, kv := range pairs(t.root) {
		if !slices.Contains(sections, kv[0].Value) {
			c.add(false, kv[0], fmt.Sprintf("unknown template section %s", kv[0].Value), "a template's sections are "+strings.Join(sections, ", "))
		}
	}
	transform := t.section("Transform") != nil
	res := t.section("Resources")
	if res == nil || res.Kind != yaml.MappingNode || len(res.Content) == 0 {
		c.add(false, res, "the template has no resources", "CloudFormation needs at least one resource in the Resources section")
		return c.diags
	}
	names := map[string]bool{}
	resources := map[string]bool{}
	for _, p := range t.parameters() {
		names[p.Name] = true
	}
	for _, kv := range pairs(res) {
		names[kv[0].Value] = true
		resources[kv[0].Value] = true
	}
	for _, p := range pseudoParameters {
		names[p] = true
	}
	for _, kv := range pairs(res) {
		c.resource(kv[0], kv[1], transform)
	}
	if !transform {
		// A transform (a macro, SAM) may add resources and parameters the
		// template does not show: references are checked without one only.
		c.references(res, names, resources)
		c.references(t.section("Outputs"), names, resources)
	}
	return c.diags
}

func (c *checker) resource(id, r *yaml.Node, transform bool) {
	if r.Kind != yaml.MappingNode {
		c.add(false, id, fmt.Sprintf("resource %s is not a mapping", id.Value), "a resource has a Type and usually Properties")
		return
	}
	for _, kv := range pairs(r) {
		if !slices.Contains(resourceAttributes, kv[0].Value) {
			c.add(false, kv[0], fmt.Sprintf("resource %s has an unknown attribute %s", id.Value, kv[0].Value), "a resource's attributes are "+strings.Join(resourceAttributes, ", ")+suggest(kv[0].Value, resourceAttributes))
		}
	}
	typNode, _ := get(r, "Type")
	if typNode == nil || typNode.Kind != yaml.ScalarNode || typNode.Value == "" {
		c.add(false, id, fmt.Sprintf("resource %s has no Type", id.Value), "")
		return
	}
	typ := typNode.Value
	props, propsKey := get(r, "Properties")
	switch {
	case strings.HasPrefix(typ, "Custom::") || typ == "AWS::CloudFormation::CustomResource":
		return // a custom resource's properties are its own
	case transform && strings.HasPrefix(typ, "AWS::Serverless::"):
		return // SAM's types, expanded by its transform
	}
	schema, ok := c.spec.resource(typ)
	if !ok {
		if strings.HasPrefix(typ, "AWS::") || strings.HasPrefix(typ, "Alexa::") {
			c.add(false, typNode, fmt.Sprintf("resource %s has an unknown type %s", id.Value, typ),
				"the type is not in the CloudFormation resource specification lockstep checks against (goformation v7's schema); check its spelling"+c.suggestType(typ))
		} else {
			c.add(true, typNode, fmt.Sprintf("resource %s has the type %s, which lockstep cannot check", id.Value, typ),
				"not an AWS type: a type from the CloudFormation registry must be registered or activated in the account")
		}
		return
	}
	if props == nil {
		if len(schema.Required) > 0 {
			c.add(false, id, fmt.Sprintf("resource %s (%s) has no Properties but needs %s", id.Value, typ, strings.Join(schema.Required, ", ")), "")
		}
		return
	}
	c.object(props, propsKey, schema, id.Value+".Properties", typ)
}

// intrinsic is whether a node is an intrinsic function (short-form tag or
// a one-key mapping such as {"Fn::If": ...} or {"Ref": ...}): its value is
// only known to CloudFormation.
func intrinsic(n *yaml.Node) bool {
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return true
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		k := n.Content[0].Value
		return k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

// object checks a mapping of properties against its schema: unknown names
// (where the schema lists them all) and required ones, then each
// property's own type. A missing property is reported at key, the
// mapping's own key.
func (c *checker) object(n, key *yaml.Node, schema schemaProp, path, typ string) {
	if intrinsic(n) || n.Kind != yaml.MappingNode {
		return
	}
	closed := schema.AdditionalProperties != nil && !*schema.AdditionalProperties
	present := map[string]bool{}
	for _, kv := range pairs(n) {
		name := kv[0].Value
		present[name] = true
		ps, known := schema.Properties[name]
		if !known {
			if closed {
				c.add(false, kv[0], fmt.Sprintf("%s has an unknown property %s (%s)", path, name, typ), "the resource specification lists "+strings.Join(sortedKeys(schema.Properties), ", ")+suggest(name, sortedKeys(schema.Properties)))
			}
			continue
		}
		c.value(kv[1], kv[0], ps, path+"."+name, typ)
	}
	for _, r := range schema.Required {
		if !present[r] {
			c.add(false, key, fmt.Sprintf("%s is missing the required property %s (%s)", path, r, typ), "")
		}
	}
}

func (c *checker) value(n, key *yaml.Node, ps schemaProp, path, typ string) {
	if intrinsic(n) {
		return
	}
	if ps.Items != nil && n.Kind == yaml.SequenceNode {
		for i, item := range n.Content {
			c.value(item, item, *ps.Items, fmt.Sprintf("%s[%d]", path, i), typ)
		}
		return
	}
	if n.Kind != yaml.MappingNode {
		return
	}
	if sub, ok := c.spec.resolve(ps); ok {
		c.object(n, key, sub, path, typ)
	}
}

// references reports each Ref to a name the template does not declare and
// each Fn::GetAtt of a resource it does not have.
func (c *checker) references(n *yaml.Node, names, resources map[string]bool) {
	if n == nil {
		return
	}
	ref := func(at *yaml.Node, name string) {
		if !names[name] {
			c.add(false, at, fmt.Sprintf("Ref to %s, which the template does not declare", name), "Ref names a parameter, a resource or a pseudo parameter such as AWS::Region")
		}
	}
	getAtt := func(at *yaml.Node, target string) {
		if !resources[target] {
			c.add(false, at, fmt.Sprintf("Fn::GetAtt of %s, which is not a resource of the template", target), "")
		}
	}
	getAttTarget := func(v *yaml.Node) (string, bool) {
		switch {
		case v.Kind == yaml.ScalarNode:
			target, _, _ := strings.Cut(v.Value, ".")
			return target, true
		case v.Kind == yaml.SequenceNode && len(v.Content) > 0 && v.Content[0].Kind == yaml.ScalarNode:
			return v.Content[0].Value, true
		}
		return "", false
	}
	switch {
	case n.Tag == "!Ref" && n.Kind == yaml.ScalarNode:
		ref(n, n.Value)
		return
	case n.Tag == "!GetAtt":
		if target, ok := getAttTarget(n); ok {
			getAtt(n, target)
		}
		return
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		k, v := n.Content[0], n.Content[1]
		switch k.Value {
		case "Ref":
			if v.Kind == yaml.ScalarNode {
				ref(k, v.Value)
			}
			return
		case "Fn::GetAtt":
			if target, ok := getAttTarget(v); ok {
				getAtt(k, target)
			}
			return
		}
	}
	for _, child := range n.Content {
		c.references(child, names, resources)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// suggest is ", did you mean X?" for a name that differs from a known one
// only in case or by one edit.
func suggest(name string, known []string) string {
	for _, k := range known {
		if strings.EqualFold(k, name) || oneEdit(strings.ToLower(k), strings.ToLower(name)) {
			return "; did you mean " + k + "?"
		}
	}
	return ""
}

func (c *checker) suggestType(typ string) string {
	for k := range c.spec.defs {
		if !strings.Contains(k, ".") && (strings.EqualFold(k, typ) || oneEdit(strings.ToLower(k), strings.ToLower(typ))) {
			return "; did you mean " + k + "?"
		}
	}
	return ""
}

// oneEdit is whether a and b differ by one inserted, deleted or changed
// byte.
func oneEdit(a, b string) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(a)-len(b) > 1 || a == b {
		return false
	}
	i := 0
	for i < len(b) && a[i] == b[i] {
		i++
	}
	if len(a) == len(b) {
		return a[i+1:] == b[i+1:]
	}
	return a[i+1:] == b[i:]
}

// parseParameters reads a parameters file: CloudFormation's own list
// ([{"ParameterKey": "K", "ParameterValue": "V"}], also with
// "UsePreviousValue": true) or a mapping {"K": "V"}, whose numbers and
// booleans become their text and lists of strings comma-delimited lists.
// The parameters are sorted by key.
func parseParameters(file string, raw []byte) ([]types.Parameter, error) {
	trimmed := bytes.TrimSpace(raw)
	var out []types.Parameter
	switch {
	case len(trimmed) == 0:
		return nil, fmt.Errorf("the parameters file %s is empty: give a JSON list of {\"ParameterKey\", \"ParameterValue\"} or an object of keys and values", file)
	case trimmed[0] == '[':
		var list []struct {
			ParameterKey     string
			ParameterValue   *string
			UsePreviousValue bool
		}
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&list); err != nil {
			return nil, fmt.Errorf("decoding the parameters file %s (a list of {\"ParameterKey\", \"ParameterValue\"}): %w", file, err)
		}
		for i, p := range list {
			if p.ParameterKey == "" {
				return nil, fmt.Errorf("the parameters file %s: entry %d has no ParameterKey", file, i+1)
			}
			if p.ParameterValue == nil && !p.UsePreviousValue {
				return nil, fmt.Errorf("the parameters file %s: parameter %s has neither a ParameterValue nor \"UsePreviousValue\": true", file, p.ParameterKey)
			}
			param := types.Parameter{ParameterKey: aws.String(p.ParameterKey), ParameterValue: p.ParameterValue}
			if p.UsePreviousValue {
				param.UsePreviousValue = aws.Bool(true)
				param.ParameterValue = nil
			}
			out = append(out, param)
		}
	case trimmed[0] == '{':
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("decoding the parameters file %s (an object of keys and values): %w", file, err)
		}
		for k, v := range m {
			s, err := parameterText(v)
			if err != nil {
				return nil, fmt.Errorf("the parameters file %s: parameter %s %w", file, k, err)
			}
			out = append(out, types.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(s)})
		}
	default:
		return nil, fmt.Errorf("the parameters file %s is not JSON: give a list of {\"ParameterKey\", \"ParameterValue\"} or an object of keys and values", file)
	}
	seen := map[string]bool{}
	for _, p := range out {
		if seen[*p.ParameterKey] {
			return nil, fmt.Errorf("the parameters file %s gives parameter %s twice", file, *p.ParameterKey)
		}
		seen[*p.ParameterKey] = true
	}
	sort.Slice(out, func(i, j int) bool { return *out[i].ParameterKey < *out[j].ParameterKey })
	return out, nil
}

func parameterText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return "", errors.New("is a list holding something other than strings")
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), nil
	}
	return "", errors.New("is neither a string, a number, a boolean nor a list of strings")
}
