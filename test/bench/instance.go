package bench

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Kind is what a generated plan does to one resource instance.
type Kind int

// The kinds of change in a generated plan.
const (
	NoOp Kind = iota
	Create
	Update
	ReplaceDeleteFirst // ["delete","create"]
	ReplaceCreateFirst // ["create","delete"], create_before_destroy
	Delete
)

// KindOf is the kind of instance i. Every run of 100 consecutive instances
// holds exactly the mix: 10 creates, 24 updates, 5 + 5 replaces, 10 deletes
// and 46 no-ops, spread by a permutation so that neighbours differ.
func KindOf(i int) Kind {
	switch r := (i * 37) % 100; {
	case r < 10:
		return Create
	case r < 34:
		return Update
	case r < 39:
		return ReplaceDeleteFirst
	case r < 44:
		return ReplaceCreateFirst
	case r < 54:
		return Delete
	default:
		return NoOp
	}
}

// drifted reports whether instance i changed outside Terraform since the last
// apply: 6% of the updates and no-ops.
func drifted(i int) bool {
	k := KindOf(i)
	return (k == Update || k == NoOp) && (i*53)%100 < 8
}

// actions are Terraform's actions for a kind.
func (k Kind) actions() []string {
	switch k {
	case Create:
		return []string{"create"}
	case Update:
		return []string{"update"}
	case ReplaceDeleteFirst:
		return []string{"delete", "create"}
	case ReplaceCreateFirst:
		return []string{"create", "delete"}
	case Delete:
		return []string{"delete"}
	}
	return []string{"no-op"}
}

func (k Kind) existsBefore() bool { return k != Create }
func (k Kind) existsAfter() bool  { return k != Delete }
func (k Kind) replace() bool      { return k == ReplaceDeleteFirst || k == ReplaceCreateFirst }

// Instances come in blocks of 100; blocks cycle through four module
// addresses so that plans have root resources, module instances with long
// for_each keys and nested modules.
const blockSize = 100

// level is where a block's instances live: 0 the root module, 1
// module.svc["…"], 2 module.svc["…"].module.db["primary"].
func blockLevel(block int) int {
	switch block % 4 {
	case 0:
		return 0
	case 3:
		return 2
	}
	return 1
}

// svcKey is the for_each key of module.svc instance g.
func svcKey(g int) string {
	return fmt.Sprintf("%s/team-%s/service-%s-%04d", regions[g%len(regions)], teams[g%len(teams)], services[g%len(services)], g)
}

func moduleAddress(block int) string {
	g := block / 4
	switch blockLevel(block) {
	case 1:
		return "module.svc[" + strconv.Quote(svcKey(g)) + "]"
	case 2:
		return "module.svc[" + strconv.Quote(svcKey(g)) + `].module.db["primary"]`
	}
	return ""
}

var (
	regions  = []string{"eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-2"}
	teams    = []string{"payments", "platform", "search", "identity", "checkout", "growth", "data-eng"}
	services = []string{"ledger-reconciliation", "api-gateway", "notification-dispatcher", "inventory-sync", "fraud-scoring"}
)

// resourceTypes are the types of the ten resource blocks of every module,
// each with ten instances per block of 100.
var resourceTypes = []string{
	"aws_instance", "aws_security_group", "aws_s3_object", "terraform_data", "aws_iam_policy",
	"aws_s3_object", "aws_db_instance", "aws_instance", "kubernetes_secret", "aws_s3_object",
}

// instance is one generated resource instance and its change.
type instance struct {
	i            int
	kind         Kind
	module       string
	typ, name    string
	index        any // nil, int or string
	before       map[string]any
	after        map[string]any // without unknown attributes
	afterUnknown map[string]any
	beforeSens   any
	afterSens    any
	replacePaths []any
	reason       string
	lastApplied  map[string]any // drifted instances: the values before the drift
}

func (in *instance) address() string {
	var b strings.Builder
	if in.module != "" {
		b.WriteString(in.module)
		b.WriteByte('.')
	}
	b.WriteString(in.typ)
	b.WriteByte('.')
	b.WriteString(in.name)
	switch x := in.index.(type) {
	case int:
		b.WriteString("[" + strconv.Itoa(x) + "]")
	case string:
		b.WriteString("[" + strconv.Quote(x) + "]")
	}
	return b.String()
}

// resourceBlock is the address of the instance's resource block inside its
// module, such as aws_instance.r0.
func (in *instance) resourceBlock() string { return in.typ + "." + in.name }

// newInstance generates instance i deterministically: every section of the
// plan regenerates the same instance, so nothing is kept between sections.
func newInstance(i int) *instance {
	rng := rand.New(rand.NewPCG(uint64(i), 0x10c57e9))
	block, j := i/blockSize, i%blockSize
	rb := j / 10
	in := &instance{
		i:      i,
		kind:   KindOf(i),
		module: moduleAddress(block),
		typ:    resourceTypes[rb],
		name:   "r" + strconv.Itoa(rb),
	}
	switch rb % 3 {
	case 0:
		in.index = fmt.Sprintf("%s/%s/%s-worker-shard-%06d", regions[i%len(regions)], teams[(i/7)%len(teams)], services[(i/3)%len(services)], i)
	case 1:
		in.index = i
	default:
		in.index = "k-" + strconv.Itoa(i)
	}
	g := types[in.typ]
	base := g.values(rng, in)
	sensPaths := g.sensitive(in)
	if drifted(i) {
		// Someone tagged the object outside Terraform (the configuration
		// ignores tag changes): the refreshed state has the tag, the drift
		// says it was added.
		in.lastApplied = clone(base).(map[string]any)
		setTag(base, "changed-outside", "by-console")
	}
	if in.kind.existsBefore() {
		in.before = base
		in.beforeSens = mirror(base, sensPaths)
	} else {
		in.beforeSens = false
	}
	if !in.kind.existsAfter() {
		in.afterSens = false
		if i%3 == 0 {
			in.reason = "delete_because_no_resource_config"
		}
		return in
	}
	after := clone(base).(map[string]any)
	switch {
	case in.kind == Update:
		g.update(rng, after)
	case in.kind.replace():
		in.replacePaths = g.replace(rng, after)
		in.reason = "replace_because_cannot_update"
		if i%7 == 0 {
			in.reason = "replace_because_tainted"
			in.replacePaths = nil
		}
	}
	unknown := map[string]bool{}
	if in.kind == Create || in.kind.replace() {
		for _, c := range g.computed {
			unknown[c] = true
		}
	}
	if in.typ == "terraform_data" && in.kind != NoOp {
		unknown["output"] = true // output follows input after apply
	}
	for k := range unknown {
		delete(after, k)
	}
	in.after = after
	in.afterSens = mirror(after, sensPaths)
	au := mirror(after, nil).(map[string]any)
	for k := range unknown {
		au[k] = true
	}
	in.afterUnknown = au
	return in
}

// setTag sets tags[k] = val, or a label or environment variable for types
// without tags.
func setTag(v map[string]any, k, val string) {
	switch {
	case v["tags"] != nil:
		v["tags"].(map[string]any)[k] = val
	case v["metadata"] != nil:
		v["metadata"].([]any)[0].(map[string]any)["labels"].(map[string]any)[k] = val
	case v["input"] != nil:
		v["input"].(map[string]any)["env"].(map[string]any)[k] = val
	}
}

// clone deep-copies a decoded-JSON-like value.
func clone(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = clone(x)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = clone(x)
		}
		return l
	}
	return v
}

// mirror builds Terraform's sensitivity (or unknown) mirror of v: objects
// keep their nested object and list attributes as mirrors and drop plain
// ones, lists mark every element, and each path in marked is true.
func mirror(v any, marked [][]string) any {
	m := mirrorOf(v)
	for _, p := range marked {
		mark(m, v, p)
	}
	return m
}

func mirrorOf(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, x := range t {
			switch x.(type) {
			case map[string]any, []any:
				m[k] = mirrorOf(x)
			}
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			switch x.(type) {
			case map[string]any, []any:
				l[i] = mirrorOf(x)
			default:
				l[i] = false
			}
		}
		return l
	}
	return false
}

// mark sets path p (object keys; "*" for every list element) to true in the
// mirror m of v, where v has it.
func mark(m, v any, p []string) {
	if len(p) == 0 {
		return
	}
	switch mm := m.(type) {
	case map[string]any:
		vv, _ := v.(map[string]any)
		x, ok := vv[p[0]]
		if !ok {
			return
		}
		if len(p) == 1 {
			mm[p[0]] = true
			return
		}
		mark(mm[p[0]], x, p[1:])
	case []any:
		vv, _ := v.([]any)
		for i := range mm {
			if len(p) == 1 {
				mm[i] = true
			} else {
				mark(mm[i], vv[i], p[1:])
			}
		}
	}
}
