package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// TerraformVersion is the version generated plans claim.
const TerraformVersion = "1.11.4"

// Plan returns the terraform show -json of a generated plan with n resource
// changes.
func Plan(n int) []byte {
	var buf bytes.Buffer
	if err := WritePlan(&buf, n); err != nil {
		panic(err) // writing to a bytes.Buffer does not fail
	}
	return buf.Bytes()
}

// WritePlan writes the terraform show -json of a generated plan with n
// resource changes to w: one line of compact JSON with Terraform's key order,
// like terraform show -json.
func WritePlan(w io.Writer, n int) error {
	pw := &planWriter{w: bufio.NewWriterSize(w, 1<<16), n: n}
	pw.plan()
	if pw.err != nil {
		return pw.err
	}
	return pw.w.Flush()
}

type planWriter struct {
	w   *bufio.Writer
	n   int
	err error
}

func (p *planWriter) raw(s string) {
	if p.err == nil {
		_, p.err = p.w.WriteString(s)
	}
}

func (p *planWriter) json(v any) {
	if p.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		p.err = err
		return
	}
	_, p.err = p.w.Write(b)
}

// key writes "name": preceded by a comma unless first.
func (p *planWriter) key(name string, first bool) {
	if !first {
		p.raw(",")
	}
	p.json(name)
	p.raw(":")
}

func (p *planWriter) plan() {
	p.raw("{")
	p.key("format_version", true)
	p.json("1.2")
	p.key("terraform_version", false)
	p.json(TerraformVersion)
	p.key("variables", false)
	p.json(variableValues())
	p.key("planned_values", false)
	p.raw(`{"outputs":`)
	p.json(plannedOutputs())
	p.raw(`,"root_module":`)
	p.module(stateAfter)
	p.raw("}")
	p.key("resource_drift", false)
	p.changes(true)
	p.key("resource_changes", false)
	p.changes(false)
	p.key("output_changes", false)
	p.json(outputChanges())
	p.key("prior_state", false)
	p.raw(`{"format_version":"1.0","terraform_version":"` + TerraformVersion + `","values":{"outputs":`)
	p.json(priorOutputs())
	p.raw(`,"root_module":`)
	p.module(stateBefore)
	p.raw("}}")
	p.key("configuration", false)
	p.configuration()
	p.key("relevant_attributes", false)
	p.relevantAttributes()
	p.raw(`,"timestamp":"2026-11-25T10:00:00Z","applyable":true,"complete":true,"errored":false}`)
	p.raw("\n")
}

// resourceChange is one entry of resource_changes or resource_drift, fields
// in Terraform's order.
type resourceChange struct {
	Address       string `json:"address"`
	ModuleAddress string `json:"module_address,omitempty"`
	Mode          string `json:"mode"`
	Type          string `json:"type"`
	Name          string `json:"name"`
	Index         any    `json:"index,omitempty"`
	ProviderName  string `json:"provider_name"`
	Change        change `json:"change"`
	ActionReason  string `json:"action_reason,omitempty"`
}

type change struct {
	Actions         []string `json:"actions"`
	Before          any      `json:"before"`
	After           any      `json:"after"`
	AfterUnknown    any      `json:"after_unknown"`
	BeforeSensitive any      `json:"before_sensitive"`
	AfterSensitive  any      `json:"after_sensitive"`
	ReplacePaths    []any    `json:"replace_paths,omitempty"`
}

func (p *planWriter) changes(drift bool) {
	p.raw("[")
	first := true
	for i := range p.n {
		if drift && !drifted(i) {
			continue
		}
		in := newInstance(i)
		rc := resourceChange{
			Address: in.address(), ModuleAddress: in.module, Mode: "managed", Type: in.typ, Name: in.name,
			Index: in.index, ProviderName: types[in.typ].provider,
		}
		if drift {
			rc.Change = change{
				Actions: []string{"update"}, Before: in.lastApplied, After: in.before,
				AfterUnknown: map[string]any{}, BeforeSensitive: in.beforeSens, AfterSensitive: in.beforeSens,
			}
		} else {
			var before, after any
			if in.before != nil {
				before = in.before
			}
			if in.after != nil {
				after = in.after
			}
			var au any = false
			if in.afterUnknown != nil {
				au = in.afterUnknown
			}
			rc.Change = change{
				Actions: in.kind.actions(), Before: before, After: after, AfterUnknown: au,
				BeforeSensitive: in.beforeSens, AfterSensitive: in.afterSens, ReplacePaths: in.replacePaths,
			}
			rc.ActionReason = in.reason
		}
		if !first {
			p.raw(",")
		}
		first = false
		p.json(rc)
	}
	p.raw("]")
}

// stateResource is one resource of planned_values or prior_state.
type stateResource struct {
	Address         string `json:"address"`
	Mode            string `json:"mode"`
	Type            string `json:"type"`
	Name            string `json:"name"`
	Index           any    `json:"index,omitempty"`
	ProviderName    string `json:"provider_name"`
	SchemaVersion   int    `json:"schema_version"`
	Values          any    `json:"values"`
	SensitiveValues any    `json:"sensitive_values"`
}

type stateSide int

const (
	stateBefore stateSide = iota // prior_state
	stateAfter                   // planned_values
)

// module writes the root module of planned_values or prior_state with its
// module tree. Blocks 4g+1 and 4g+2 are module.svc[g], block 4g+3 its child
// module.svc[g].module.db["primary"]; prior_state also holds one data source
// read during planning per block (with a sensitive attribute), which is in
// no resource change.
func (p *planWriter) module(side stateSide) {
	blocks := (p.n + blockSize - 1) / blockSize
	p.raw(`{"resources":[`)
	first := true
	for b := 0; b < blocks; b += 4 {
		p.blockResources(side, b, &first)
	}
	p.raw("]")
	if blocks > 1 {
		p.raw(`,"child_modules":[`)
		for g := 0; 4*g+1 < blocks; g++ {
			if g > 0 {
				p.raw(",")
			}
			p.raw(`{"resources":[`)
			first := true
			for _, b := range []int{4*g + 1, 4*g + 2} {
				if b < blocks {
					p.blockResources(side, b, &first)
				}
			}
			p.raw(`],"address":`)
			p.json(moduleAddress(4*g + 1))
			if b := 4*g + 3; b < blocks {
				p.raw(`,"child_modules":[{"resources":[`)
				first := true
				p.blockResources(side, b, &first)
				p.raw(`],"address":`)
				p.json(moduleAddress(b))
				p.raw("}]")
			}
			p.raw("}")
		}
		p.raw("]")
	}
	p.raw("}")
}

func (p *planWriter) blockResources(side stateSide, b int, first *bool) {
	emit := func(r stateResource) {
		if !*first {
			p.raw(",")
		}
		*first = false
		p.json(r)
	}
	if side == stateBefore {
		emit(dataSource(b))
	}
	for i := b * blockSize; i < min(p.n, (b+1)*blockSize); i++ {
		in := newInstance(i)
		r := stateResource{
			Address: in.address(), Mode: "managed", Type: in.typ, Name: in.name, Index: in.index,
			ProviderName: types[in.typ].provider,
		}
		switch {
		case side == stateBefore && in.kind.existsBefore():
			r.Values, r.SensitiveValues = in.before, in.beforeSens
		case side == stateAfter && in.kind.existsAfter():
			r.Values, r.SensitiveValues = in.after, in.afterSens
		default:
			continue
		}
		emit(r)
	}
}

// dataSource is the secret read during planning in block b.
func dataSource(b int) stateResource {
	mod := moduleAddress(b)
	addr := "data.aws_secretsmanager_secret_version.app"
	if mod != "" {
		addr = mod + "." + addr
	}
	secret, _ := json.Marshal(map[string]string{"username": "app", "password": fmt.Sprintf("ds-secret-%06d-Zq8vLx", b)})
	return stateResource{
		Address: addr, Mode: "data", Type: "aws_secretsmanager_secret_version", Name: "app",
		ProviderName: awsProvider,
		Values: map[string]any{
			"arn":            fmt.Sprintf("arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-%d", b),
			"id":             fmt.Sprintf("app-%d|AWSCURRENT", b),
			"secret_id":      fmt.Sprintf("app-%d", b),
			"secret_string":  string(secret),
			"version_id":     fmt.Sprintf("v-%08d", b),
			"version_stages": strs("AWSCURRENT"),
		},
		SensitiveValues: map[string]any{"secret_string": true, "version_stages": []any{false}},
	}
}

// The root variables: three of them sensitive (one a nested object), and a
// large nested one.
func variableValues() map[string]any {
	catalog := map[string]any{}
	for k := range 80 {
		catalog[fmt.Sprintf("%s-%02d", services[k%len(services)], k)] = map[string]any{
			"owner": teams[k%len(teams)], "tier": []string{"gold", "silver", "bronze"}[k%3],
			"slo":     map[string]any{"availability": 99.9, "latency_ms": float64(200 + k)},
			"regions": strs(regions[k%len(regions)], regions[(k+1)%len(regions)]),
		}
	}
	vals := map[string]any{
		"region":          "eu-west-1",
		"environment":     "production",
		"instance_count":  float64(3),
		"feature_flags":   strs("new-checkout", "fast-search", "dark-mode"),
		"default_tags":    map[string]any{"managed_by": "terraform", "repo": "acme/infra"},
		"db_password":     sharedPassword,
		"api_credentials": map[string]any{"client_id": "acme-ci", "client_secret": "cs-9fQ2mZr7Lw3xVt8p", "scopes": strs("read", "write")},
		"signing_key":     "sk-live-51HqLz8Tb2Vn4Ww",
		"service_catalog": catalog,
	}
	out := map[string]any{}
	for k, v := range vals {
		out[k] = map[string]any{"value": v}
	}
	return out
}

var sensitiveVariables = map[string]bool{"db_password": true, "api_credentials": true, "signing_key": true}

// outputs: name -> (before, after, actions, sensitive). A nil after with an
// update means the new value is unknown.
type output struct {
	name          string
	before, after any
	actions       []string
	sensitive     bool
}

func outputs() []output {
	var out []output
	for k := range 16 {
		name := fmt.Sprintf("%s_endpoint_%02d", services[k%len(services)], k)
		before := fmt.Sprintf("https://%s-%d.internal.acme.example", services[k%len(services)], k)
		switch k % 4 {
		case 0:
			out = append(out, output{name: name, before: before, after: before + "/v2", actions: []string{"update"}})
		case 1:
			out = append(out, output{name: name, after: before, actions: []string{"create"}})
		default:
			out = append(out, output{name: name, before: before, after: before, actions: []string{"no-op"}})
		}
	}
	ids := make([]any, 100)
	for k := range ids {
		ids[k] = fmt.Sprintf("i-%017d", k)
	}
	out = append(out,
		output{name: "db_password", before: sharedPassword, after: sharedPassword, actions: []string{"no-op"}, sensitive: true},
		output{name: "service_credentials", before: map[string]any{"user": "svc", "token": "out-tok-Hn3kPq9s"}, after: map[string]any{"user": "svc", "token": "out-tok-Rt7mWx2z"}, actions: []string{"update"}, sensitive: true},
		output{name: "instance_ids", before: ids, actions: []string{"update"}},
	)
	return out
}

func outputChanges() map[string]any {
	m := map[string]any{}
	for _, o := range outputs() {
		var au any = false
		if o.after == nil && len(o.actions) == 1 && o.actions[0] == "update" {
			au = true
		}
		m[o.name] = map[string]any{
			"actions": o.actions, "before": o.before, "after": o.after, "after_unknown": au,
			"before_sensitive": o.sensitive, "after_sensitive": o.sensitive,
		}
	}
	return m
}

func plannedOutputs() map[string]any {
	m := map[string]any{}
	for _, o := range outputs() {
		e := map[string]any{"sensitive": o.sensitive}
		if o.after != nil {
			e["value"] = o.after
		}
		m[o.name] = e
	}
	return m
}

func priorOutputs() map[string]any {
	m := map[string]any{}
	for _, o := range outputs() {
		if o.before != nil {
			m[o.name] = map[string]any{"sensitive": o.sensitive, "value": o.before, "type": "dynamic"}
		}
	}
	return m
}

// configuration writes the configuration section: every module's resource
// blocks with their expressions, module calls, outputs and variables.
func (p *planWriter) configuration() {
	p.raw(`{"provider_config":`)
	p.json(map[string]any{
		"aws":        map[string]any{"name": "aws", "full_name": awsProvider, "version_constraint": "~> 5.0", "expressions": map[string]any{"region": map[string]any{"references": strs("var.region")}}},
		"kubernetes": map[string]any{"name": "kubernetes", "full_name": k8sProvider, "version_constraint": "~> 2.30"},
		"terraform":  map[string]any{"name": "terraform", "full_name": coreProvider},
	})
	p.raw(`,"root_module":{"outputs":`)
	outs := map[string]any{}
	for _, o := range outputs() {
		e := map[string]any{"expression": map[string]any{"references": strs("module.svc", "var.environment")}}
		if o.sensitive {
			e["sensitive"] = true
		}
		outs[o.name] = e
	}
	p.json(outs)
	p.raw(`,"resources":`)
	p.json(configResources(0))
	blocks := (p.n + blockSize - 1) / blockSize
	if blocks > 1 {
		p.raw(`,"module_calls":{"svc":{"source":"./modules/svc","expressions":`)
		p.json(map[string]any{
			"name":   map[string]any{"references": strs("each.key")},
			"config": map[string]any{"references": strs("each.value", "var.service_catalog")},
		})
		p.raw(`,"for_each_expression":{"references":["local.services"]},"module":{"resources":`)
		p.json(configResources(1))
		p.raw(`,"module_calls":{"db":{"source":"./modules/db","for_each_expression":{"references":["local.databases"]},"module":{"resources":`)
		p.json(configResources(2))
		p.raw(`,"variables":{"name":{"description":"database name"},"password":{"sensitive":true}}}}}`)
		p.raw(`,"variables":{"name":{"description":"service name"},"config":{"description":"service configuration"}}}}}`)
	}
	p.raw(`,"variables":`)
	vars := map[string]any{}
	for name := range variableValues() {
		v := map[string]any{"description": "the " + name}
		if sensitiveVariables[name] {
			v["sensitive"] = true
		}
		vars[name] = v
	}
	p.json(vars)
	p.raw("}}")
}

// configResources are the ten resource blocks of a module (and its data
// source), with the expressions of a representative instance.
func configResources(level int) []any {
	block := map[int]int{0: 0, 1: 1, 2: 3}[level]
	var out []any
	for rb := range 10 {
		in := newInstance(block*blockSize + rb*10)
		exprs := map[string]any{}
		for k, v := range in.before {
			if k == "id" || k == "arn" {
				continue
			}
			if len(k)%3 == 0 {
				exprs[k] = map[string]any{"references": strs("var."+k, "local.defaults")}
			} else {
				exprs[k] = map[string]any{"constant_value": v}
			}
		}
		r := map[string]any{
			"address": in.resourceBlock(), "mode": "managed", "type": in.typ, "name": in.name,
			"provider_config_key": providerKey(in.typ), "expressions": exprs, "schema_version": 0,
		}
		switch rb % 3 {
		case 1:
			r["count_expression"] = map[string]any{"references": strs("var.instance_count")}
		default:
			r["for_each_expression"] = map[string]any{"references": strs("local.items")}
		}
		out = append(out, r)
	}
	out = append(out, map[string]any{
		"address": "data.aws_secretsmanager_secret_version.app", "mode": "data",
		"type": "aws_secretsmanager_secret_version", "name": "app", "provider_config_key": "aws",
		"expressions": map[string]any{"secret_id": map[string]any{"references": strs("var.secret_id")}}, "schema_version": 0,
	})
	return out
}

func providerKey(typ string) string {
	switch types[typ].provider {
	case k8sProvider:
		return "kubernetes"
	case coreProvider:
		return "terraform"
	}
	return "aws"
}

func (p *planWriter) relevantAttributes() {
	p.raw("[")
	first := true
	for i := range p.n {
		if !drifted(i) {
			continue
		}
		if !first {
			p.raw(",")
		}
		first = false
		in := newInstance(i)
		p.raw(`{"resource":`)
		p.json(in.address())
		p.raw(`,"attribute":["tags"]}`)
	}
	p.raw("]")
}

// quote is strconv.Quote for the human plan text.
func quote(s string) string { return strconv.Quote(s) }
