package fakecfn

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Fixed identity of the fake account: what the pseudo parameters and the
// generated ARNs say.
const (
	Region    = "us-east-1"
	AccountID = "123456789012"
)

// template is a parsed CloudFormation template: only what the fake models.
type template struct {
	Description string
	Params      []paramDef // template order
	Resources   []resourceDef
	Outputs     []outputDef
}

type paramDef struct {
	Name          string
	Type          string
	Default       *string
	NoEcho        bool
	Description   string
	AllowedValues []string
}

type resourceDef struct {
	LogicalID      string
	Type           string
	Properties     map[string]any
	DependsOn      []string
	DeletionPolicy string
}

type outputDef struct {
	Key         string
	Value       any
	Description string
	ExportName  any
}

func (t *template) param(name string) (paramDef, bool) {
	for _, p := range t.Params {
		if p.Name == name {
			return p, true
		}
	}
	return paramDef{}, false
}

func (t *template) resource(id string) (resourceDef, bool) {
	for _, r := range t.Resources {
		if r.LogicalID == id {
			return r, true
		}
	}
	return resourceDef{}, false
}

// formatError is CloudFormation's answer to a template it cannot use; the
// "Template format error: " prefix is what AWS puts on these ValidationErrors.
func formatError(format string, a ...any) *apiError {
	return validationError("Template format error: " + fmt.Sprintf(format, a...))
}

// MaxTemplateBody is CloudFormation's limit on TemplateBody, in bytes;
// larger templates must go through S3 (TemplateURL).
const MaxTemplateBody = 51200

// parseTemplate reads a JSON or YAML template. JSON is parsed by the YAML
// parser too (JSON is YAML's flow style), which keeps the key order of
// Resources: the order the fake creates them in when dependencies allow.
func parseTemplate(body string) (*template, *apiError) {
	if len(body) > MaxTemplateBody {
		return nil, validationError(fmt.Sprintf("1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to %d", MaxTemplateBody))
	}
	trimmed := strings.TrimSpace(body)
	if trimmed == "" {
		return nil, validationError("Template body cannot be empty") // wording unconfirmed
	}
	isJSON := strings.HasPrefix(trimmed, "{")
	if isJSON && !json.Valid([]byte(trimmed)) {
		return nil, formatError("JSON not well-formed.")
	}
	src := body
	if isJSON {
		src = strings.ReplaceAll(body, "\t", " ") // tabs are JSON whitespace, not YAML indentation
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		return nil, formatError("YAML not well-formed. (%v)", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, formatError("template must be a JSON or YAML object")
	}
	root := doc.Content[0]
	t := &template{}
	var sawResources bool
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i].Value, root.Content[i+1]
		switch key {
		case "Description":
			t.Description = val.Value
		case "Parameters":
			if err := t.parseParams(val); err != nil {
				return nil, err
			}
		case "Resources":
			sawResources = true
			if err := t.parseResources(val); err != nil {
				return nil, err
			}
		case "Outputs":
			if err := t.parseOutputs(val); err != nil {
				return nil, err
			}
		case "AWSTemplateFormatVersion", "Metadata", "Mappings", "Conditions", "Transform", "Rules":
			// accepted, not modelled
		default:
			return nil, formatError("Invalid template property or properties [%s]", key)
		}
	}
	if !sawResources || len(t.Resources) == 0 {
		return nil, formatError("At least one Resources member must be defined.")
	}
	if err := t.checkRefs(); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *template) parseParams(n *yaml.Node) *apiError {
	if n.Kind != yaml.MappingNode {
		return formatError("Parameters must be an object")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		name, def := n.Content[i].Value, n.Content[i+1]
		v, err := nodeValue(def)
		if err != nil {
			return formatError("[/Parameters/%s] %v", name, err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return formatError("[/Parameters/%s] must be an object", name)
		}
		p := paramDef{Name: name, Type: scalarString(m["Type"]), Description: scalarString(m["Description"])}
		if p.Type == "" {
			return formatError("[/Parameters/%s] Every Parameters object must contain a Type member.", name)
		}
		if d, ok := m["Default"]; ok {
			s := scalarString(d)
			p.Default = &s
		}
		p.NoEcho = scalarString(m["NoEcho"]) == "true"
		if allowed, ok := m["AllowedValues"].([]any); ok {
			for _, a := range allowed {
				p.AllowedValues = append(p.AllowedValues, scalarString(a))
			}
		}
		t.Params = append(t.Params, p)
	}
	return nil
}

func (t *template) parseResources(n *yaml.Node) *apiError {
	if n.Kind != yaml.MappingNode {
		return formatError("Resources must be an object")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		id, def := n.Content[i].Value, n.Content[i+1]
		v, err := nodeValue(def)
		if err != nil {
			return formatError("[/Resources/%s] %v", id, err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return formatError("[/Resources/%s] resource definition must be an object", id)
		}
		r := resourceDef{LogicalID: id, Type: scalarString(m["Type"]), DeletionPolicy: scalarString(m["DeletionPolicy"])}
		if r.Type == "" {
			return formatError("[/Resources/%s] Every Resources object must contain a Type member.", id)
		}
		if p, ok := m["Properties"].(map[string]any); ok {
			r.Properties = p
		} else if m["Properties"] != nil {
			return formatError("[/Resources/%s/Properties] must be an object", id)
		}
		switch d := m["DependsOn"].(type) {
		case string:
			r.DependsOn = []string{d}
		case []any:
			for _, x := range d {
				r.DependsOn = append(r.DependsOn, scalarString(x))
			}
		}
		t.Resources = append(t.Resources, r)
	}
	return nil
}

func (t *template) parseOutputs(n *yaml.Node) *apiError {
	if n.Kind != yaml.MappingNode {
		return formatError("Outputs must be an object")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i].Value
		v, err := nodeValue(n.Content[i+1])
		if err != nil {
			return formatError("[/Outputs/%s] %v", key, err)
		}
		m, ok := v.(map[string]any)
		if !ok || m["Value"] == nil {
			return formatError("[/Outputs/%s] Every Outputs member must contain a Value object", key)
		}
		o := outputDef{Key: key, Value: m["Value"], Description: scalarString(m["Description"])}
		if e, ok := m["Export"].(map[string]any); ok {
			o.ExportName = e["Name"]
		}
		t.Outputs = append(t.Outputs, o)
	}
	return nil
}

// nodeValue turns a YAML node into plain Go values (map[string]any, []any,
// string, int, float64, bool, nil), expanding the short-form tags
// (!Ref x -> {"Ref": x}, !GetAtt A.B -> {"Fn::GetAtt": [A, B]}, !Sub s ->
// {"Fn::Sub": s}, !Name v -> {"Fn::Name": v}).
func nodeValue(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.AliasNode:
		return nodeValue(n.Alias)
	case yaml.ScalarNode:
		if strings.HasPrefix(n.Tag, "!!") || n.Tag == "" {
			if err := n.Decode(&v); err != nil {
				return nil, err
			}
		} else {
			v = n.Value
		}
	case yaml.SequenceNode:
		list := []any{}
		for _, c := range n.Content {
			x, err := nodeValue(c)
			if err != nil {
				return nil, err
			}
			list = append(list, x)
		}
		v = list
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			x, err := nodeValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = x
		}
		v = m
	default:
		return nil, fmt.Errorf("unexpected YAML node at line %d", n.Line)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		name := strings.TrimPrefix(n.Tag, "!")
		switch name {
		case "Ref", "Condition":
			return map[string]any{name: v}, nil
		case "GetAtt":
			if s, ok := v.(string); ok {
				id, attr, found := strings.Cut(s, ".")
				if !found {
					return nil, fmt.Errorf("!GetAtt %q must be LogicalId.Attribute", s)
				}
				return map[string]any{"Fn::GetAtt": []any{id, attr}}, nil
			}
			return map[string]any{"Fn::GetAtt": v}, nil
		default:
			return map[string]any{"Fn::" + name: v}, nil
		}
	}
	return v, nil
}

// scalarString renders a template scalar the way CloudFormation passes it
// on: 5 and "5" are the same value.
func scalarString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

// pseudo parameters; AWS::NoValue removes the property it is in.
var pseudoParams = map[string]bool{
	"AWS::AccountId": true, "AWS::NotificationARNs": true, "AWS::NoValue": true, "AWS::Partition": true,
	"AWS::Region": true, "AWS::StackId": true, "AWS::StackName": true, "AWS::URLSuffix": true,
}

// refs lists the names v refers to through Ref, Fn::GetAtt and Fn::Sub,
// each once, sorted.
func refs(v any) []string {
	set := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 1 {
				if r, ok := x["Ref"].(string); ok {
					set[r] = true
					return
				}
				if g, ok := x["Fn::GetAtt"].([]any); ok && len(g) > 0 {
					set[scalarString(g[0])] = true
					return
				}
				if s, ok := x["Fn::Sub"]; ok {
					str, vars := subParts(s)
					for _, name := range subNames(str) {
						id, _, _ := strings.Cut(name, ".")
						if _, local := vars[name]; !local {
							set[id] = true
						}
					}
					for _, vv := range vars {
						walk(vv)
					}
					return
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func subParts(s any) (string, map[string]any) {
	switch x := s.(type) {
	case string:
		return x, nil
	case []any:
		if len(x) == 2 {
			vars, _ := x[1].(map[string]any)
			return scalarString(x[0]), vars
		}
	}
	return scalarString(s), nil
}

// subNames lists the ${Name} and ${Res.Attr} references of a Fn::Sub string;
// ${!Literal} is not a reference.
func subNames(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return out
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			return out
		}
		name := s[i+2 : i+j]
		if !strings.HasPrefix(name, "!") {
			out = append(out, name)
		}
		s = s[i+j+1:]
	}
}

// resourceRefs lists the resources r depends on: DependsOn plus every
// reference to another resource in its properties.
func (t *template) resourceRefs(r resourceDef) []string {
	set := map[string]bool{}
	for _, d := range r.DependsOn {
		set[d] = true
	}
	for _, name := range refs(r.Properties) {
		if _, ok := t.resource(name); ok {
			set[name] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkRefs refuses references to names the template does not define and
// circular dependencies, as CloudFormation does before anything runs.
func (t *template) checkRefs() *apiError {
	var unresolved []string
	known := func(name string) bool {
		if pseudoParams[name] {
			return true
		}
		if _, ok := t.param(name); ok {
			return true
		}
		_, ok := t.resource(name)
		return ok
	}
	for _, r := range t.Resources {
		for _, name := range refs(r.Properties) {
			if !known(name) {
				unresolved = append(unresolved, name)
			}
		}
		for _, d := range r.DependsOn {
			if _, ok := t.resource(d); !ok {
				return formatError("Unresolved resource dependencies [%s] in the Resources block of the template", d)
			}
		}
	}
	for _, o := range t.Outputs {
		for _, name := range refs(o.Value) {
			if !known(name) {
				return formatError("Unresolved resource dependencies [%s] in the Outputs block of the template", name)
			}
		}
	}
	if len(unresolved) > 0 {
		return formatError("Unresolved resource dependencies [%s] in the Resources block of the template", strings.Join(unresolved, ", "))
	}
	if _, cycle := t.order(); len(cycle) > 0 {
		return formatError("Circular dependency between resources: [%s]", strings.Join(cycle, ", "))
	}
	return nil
}

// order gives the resources in creation order: template order, except that a
// resource comes after everything it depends on. On a cycle it returns the
// resources in it.
func (t *template) order() ([]resourceDef, []string) {
	done := map[string]bool{}
	var out []resourceDef
	for len(out) < len(t.Resources) {
		progressed := false
		for _, r := range t.Resources {
			if done[r.LogicalID] {
				continue
			}
			ready := true
			for _, d := range t.resourceRefs(r) {
				if !done[d] {
					ready = false
					break
				}
			}
			if ready {
				done[r.LogicalID] = true
				out = append(out, r)
				progressed = true
				break // restart from the top: keeps template order among the ready ones
			}
		}
		if !progressed {
			var cycle []string
			for _, r := range t.Resources {
				if !done[r.LogicalID] {
					cycle = append(cycle, r.LogicalID)
				}
			}
			return nil, cycle
		}
	}
	return out, nil
}

// capabilitiesNeeded says which capability the template needs, as
// ValidateTemplate reports and CreateChangeSet enforces: IAM resources need
// CAPABILITY_IAM, IAM resources with custom names CAPABILITY_NAMED_IAM.
func (t *template) capabilitiesNeeded() (capability string, types []string) {
	nameProps := map[string]string{
		"AWS::IAM::Role": "RoleName", "AWS::IAM::User": "UserName", "AWS::IAM::Group": "GroupName",
		"AWS::IAM::ManagedPolicy": "ManagedPolicyName", "AWS::IAM::InstanceProfile": "InstanceProfileName",
		"AWS::IAM::Policy": "", "AWS::IAM::AccessKey": "", "AWS::IAM::UserToGroupAddition": "",
	}
	seen := map[string]bool{}
	for _, r := range t.Resources {
		prop, iam := nameProps[r.Type]
		if !iam {
			continue
		}
		if capability == "" {
			capability = "CAPABILITY_IAM"
		}
		if prop != "" && r.Properties[prop] != nil {
			capability = "CAPABILITY_NAMED_IAM"
		}
		if !seen[r.Type] {
			seen[r.Type] = true
			types = append(types, r.Type)
		}
	}
	return capability, types
}
