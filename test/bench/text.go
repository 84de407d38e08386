package bench

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// PlanText returns human plan text for the generated plan with n resource
// changes, shaped like what terraform plan prints (and lockstep captures for
// the comment's collapsed section): one block per change, changed attributes
// only for updates, sensitive values hidden, the Plan: line at the end. It
// stands in for the captured text in the benchmarks; it is not byte-exact
// Terraform output.
func PlanText(n int) string {
	var b strings.Builder
	b.WriteString("\nTerraform used the selected providers to generate the following execution\nplan. Resource actions are indicated with the following symbols:\n")
	b.WriteString("  + create\n  ~ update in-place\n  - destroy\n-/+ destroy and then create replacement\n+/- create replacement and then destroy\n\n")
	b.WriteString("Terraform will perform the following actions:\n\n")
	var add, chg, del int
	for i := range n {
		in := newInstance(i)
		if in.kind == NoOp {
			continue
		}
		sens := sensitiveSet(in)
		addr := in.address()
		switch in.kind {
		case Create:
			add++
			fmt.Fprintf(&b, "  # %s will be created\n  + resource %q %q {\n", addr, in.typ, in.name)
			for _, k := range sortedKeys(in.after) {
				line(&b, "      + ", k, in.after[k], sens[k], 6)
			}
			for _, k := range types[in.typ].computed {
				fmt.Fprintf(&b, "      + %s = (known after apply)\n", k)
			}
		case Update:
			chg++
			fmt.Fprintf(&b, "  # %s will be updated in-place\n  ~ resource %q %q {\n", addr, in.typ, in.name)
			hidden := 0
			for _, k := range sortedKeys(in.after) {
				if fmt.Sprint(in.before[k]) == fmt.Sprint(in.after[k]) {
					hidden++
					continue
				}
				if sens[k] {
					fmt.Fprintf(&b, "      ~ %s = (sensitive value)\n", k)
					continue
				}
				fmt.Fprintf(&b, "      ~ %s = %s -> %s\n", k, render(in.before[k], 8), render(in.after[k], 8))
			}
			fmt.Fprintf(&b, "        # (%d unchanged attributes hidden)\n", hidden)
		case Delete:
			del++
			fmt.Fprintf(&b, "  # %s will be destroyed\n", addr)
			if in.reason != "" {
				b.WriteString("  # (because " + in.typ + "." + in.name + " is not in configuration)\n")
			}
			fmt.Fprintf(&b, "  - resource %q %q {\n", in.typ, in.name)
			for _, k := range sortedKeys(in.before) {
				line(&b, "      - ", k, in.before[k], sens[k], 6)
			}
		default: // replace
			add++
			del++
			sym := "-/+"
			how := "must be replaced"
			if in.kind == ReplaceCreateFirst {
				sym, how = "+/-", "must be replaced"
			}
			fmt.Fprintf(&b, "  # %s %s\n%s resource %q %q {\n", addr, how, sym, in.typ, in.name)
			for _, k := range sortedKeys(in.after) {
				if sens[k] {
					fmt.Fprintf(&b, "      ~ %s = (sensitive value)\n", k)
				} else if fmt.Sprint(in.before[k]) != fmt.Sprint(in.after[k]) {
					fmt.Fprintf(&b, "      ~ %s = %s -> %s # forces replacement\n", k, render(in.before[k], 8), render(in.after[k], 8))
				}
			}
			for _, k := range types[in.typ].computed {
				fmt.Fprintf(&b, "      ~ %s = %s -> (known after apply)\n", k, render(in.before[k], 8))
			}
		}
		b.WriteString("    }\n\n")
	}
	fmt.Fprintf(&b, "Plan: %d to add, %d to change, %d to destroy.\n", add, chg, del)
	return b.String()
}

func sensitiveSet(in *instance) map[string]bool {
	out := map[string]bool{}
	for _, p := range types[in.typ].sensitive(in) {
		out[p[0]] = true
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func line(b *strings.Builder, prefix, k string, v any, sensitive bool, indent int) {
	if sensitive {
		fmt.Fprintf(b, "%s%s = (sensitive value)\n", prefix, k)
		return
	}
	fmt.Fprintf(b, "%s%s = %s\n", prefix, k, render(v, indent+2))
}

// render prints a value the way Terraform's plan renderer roughly does.
func render(v any, indent int) string {
	pad := strings.Repeat(" ", indent)
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		if strings.Contains(t, "\n") {
			return "<<-EOT\n" + pad + strings.ReplaceAll(strings.TrimSuffix(t, "\n"), "\n", "\n"+pad) + "\n" + pad[:max(0, indent-2)] + "EOT"
		}
		return quote(t)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	case []any:
		if len(t) == 0 {
			return "[]"
		}
		var b strings.Builder
		b.WriteString("[\n")
		for _, x := range t {
			b.WriteString(pad + "  " + render(x, indent+2) + ",\n")
		}
		b.WriteString(pad + "]")
		return b.String()
	case map[string]any:
		if len(t) == 0 {
			return "{}"
		}
		var b strings.Builder
		b.WriteString("{\n")
		for _, k := range sortedKeys(t) {
			b.WriteString(pad + "  " + k + " = " + render(t[k], indent+2) + "\n")
		}
		b.WriteString(pad + "}")
		return b.String()
	}
	return fmt.Sprint(v)
}
