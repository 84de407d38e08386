package bench

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// resourceType generates the attribute values of one kind of resource and
// the changes a plan makes to them.
type resourceType struct {
	values    func(rng *rand.Rand, in *instance) map[string]any
	sensitive func(in *instance) [][]string // paths marked sensitive
	update    func(rng *rand.Rand, after map[string]any)
	replace   func(rng *rand.Rand, after map[string]any) []any // returns replace_paths
	computed  []string                                         // unknown after create or replace
	provider  string
}

const (
	awsProvider  = "registry.terraform.io/hashicorp/aws"
	k8sProvider  = "registry.terraform.io/hashicorp/kubernetes"
	coreProvider = "terraform.io/builtin/terraform"
)

func hexID(rng *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[rng.IntN(16)]
	}
	return string(b)
}

func word(rng *rand.Rand, n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[rng.IntN(len(letters))]
	}
	return string(b)
}

func tags(in *instance) map[string]any {
	return map[string]any{
		"Name":        fmt.Sprintf("%s-%s-%d", in.typ, in.name, in.i),
		"team":        teams[in.i%len(teams)],
		"service":     services[in.i%len(services)],
		"environment": "production",
		"cost_center": "cc-" + strconv.Itoa(1000+in.i%97),
		"managed_by":  "terraform",
	}
}

func arn(service, kind string, rng *rand.Rand) string {
	return fmt.Sprintf("arn:aws:%s:eu-west-1:123456789012:%s/%s", service, kind, hexID(rng, 17))
}

func strs(ss ...string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func bumpTag(after map[string]any, rng *rand.Rand) {
	t := after["tags"].(map[string]any)
	t["revision"] = "r" + strconv.Itoa(rng.IntN(1000))
	if ta, ok := after["tags_all"].(map[string]any); ok {
		ta["revision"] = t["revision"]
	}
}

// sharedPassword is the one secret many database instances share (a
// variable), next to the per-instance ones.
const sharedPassword = "Shared-DB-Passw0rd-from-var"

var types = map[string]*resourceType{
	"aws_instance": {
		provider: awsProvider,
		computed: []string{"arn", "id", "private_ip", "primary_network_interface_id"},
		values: func(rng *rand.Rand, in *instance) map[string]any {
			t := tags(in)
			return map[string]any{
				"ami":                          "ami-" + hexID(rng, 17),
				"arn":                          arn("ec2", "instance", rng),
				"id":                           "i-" + hexID(rng, 17),
				"instance_type":                []string{"t3.micro", "t3.small", "m6i.large", "c6g.xlarge"}[rng.IntN(4)],
				"subnet_id":                    "subnet-" + hexID(rng, 17),
				"private_ip":                   fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), rng.IntN(256)),
				"primary_network_interface_id": "eni-" + hexID(rng, 17),
				"monitoring":                   true,
				"ebs_optimized":                false,
				"tags":                         t,
				"tags_all":                     clone(t),
				"vpc_security_group_ids":       strs("sg-"+hexID(rng, 17), "sg-"+hexID(rng, 17)),
				"root_block_device": []any{map[string]any{
					"volume_size": float64(8 + rng.IntN(200)), "volume_type": "gp3", "encrypted": true,
					"iops": float64(3000), "throughput": float64(125), "delete_on_termination": true,
					"tags": map[string]any{"backup": "daily"},
				}},
				"metadata_options": []any{map[string]any{
					"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": float64(2),
				}},
				"user_data": "#!/bin/bash\nset -euo pipefail\necho 'bootstrapping " + in.name + "'\n/opt/bootstrap/run --role=" + services[in.i%len(services)] + " --shard=" + strconv.Itoa(in.i) + "\n",
			}
		},
		sensitive: func(*instance) [][]string { return nil },
		update: func(rng *rand.Rand, after map[string]any) {
			after["instance_type"] = "m6i.2xlarge"
			bumpTag(after, rng)
		},
		replace: func(rng *rand.Rand, after map[string]any) []any {
			after["ami"] = "ami-" + hexID(rng, 17)
			return []any{[]any{"ami"}}
		},
	},
	"aws_security_group": {
		provider: awsProvider,
		computed: []string{"arn", "id", "owner_id"},
		values: func(rng *rand.Rand, in *instance) map[string]any {
			rule := func(port int, cidr string) map[string]any {
				return map[string]any{
					"cidr_blocks": strs(cidr), "description": "allow " + strconv.Itoa(port),
					"from_port": float64(port), "to_port": float64(port), "protocol": "tcp",
					"ipv6_cidr_blocks": []any{}, "prefix_list_ids": []any{}, "security_groups": []any{}, "self": false,
				}
			}
			return map[string]any{
				"arn":         arn("ec2", "security-group", rng),
				"id":          "sg-" + hexID(rng, 17),
				"name":        fmt.Sprintf("sg-%s-%d", services[in.i%len(services)], in.i),
				"description": "Managed by Terraform",
				"vpc_id":      "vpc-" + hexID(rng, 17),
				"owner_id":    "123456789012",
				"ingress":     []any{rule(443, "10.0.0.0/8"), rule(80, "10.0.0.0/8"), rule(5432, "10.20.0.0/16"), rule(22, "192.168.1.0/24")},
				"egress":      []any{rule(0, "0.0.0.0/0")},
				"tags":        tags(in),
			}
		},
		sensitive: func(*instance) [][]string { return nil },
		update: func(rng *rand.Rand, after map[string]any) {
			ing := after["ingress"].([]any)
			ing[3].(map[string]any)["cidr_blocks"] = strs(fmt.Sprintf("192.168.%d.0/24", rng.IntN(256)))
			bumpTag(after, rng)
		},
		replace: func(rng *rand.Rand, after map[string]any) []any {
			after["name"] = after["name"].(string) + "-v2"
			return []any{[]any{"name"}}
		},
	},
	"aws_s3_object": {
		provider: awsProvider,
		computed: []string{"id", "etag", "version_id"},
		values: func(rng *rand.Rand, in *instance) map[string]any {
			return map[string]any{
				"bucket":       "assets-" + teams[in.i%len(teams)],
				"key":          fmt.Sprintf("static/%s/%d/%s.json", services[in.i%len(services)], in.i, word(rng, 12)),
				"id":           fmt.Sprintf("static/%s/%d", services[in.i%len(services)], in.i),
				"content_type": "application/json",
				"etag":         hexID(rng, 32),
				"source_hash":  hexID(rng, 64),
				"version_id":   word(rng, 32),
				"metadata":     map[string]any{"owner": teams[in.i%len(teams)], "build": strconv.Itoa(rng.IntN(100000))},
				"tags":         tags(in),
			}
		},
		sensitive: func(*instance) [][]string { return nil },
		update: func(rng *rand.Rand, after map[string]any) {
			after["source_hash"] = hexID(rng, 64)
			after["metadata"].(map[string]any)["build"] = strconv.Itoa(rng.IntN(100000))
		},
		replace: func(rng *rand.Rand, after map[string]any) []any {
			after["key"] = after["key"].(string) + ".v2"
			return []any{[]any{"key"}}
		},
	},
	"terraform_data": {
		provider: coreProvider,
		computed: []string{"id"},
		values: func(rng *rand.Rand, in *instance) map[string]any {
			input := map[string]any{
				"service":  services[in.i%len(services)],
				"replicas": float64(1 + rng.IntN(8)),
				"image":    fmt.Sprintf("ghcr.io/acme/%s:%s", services[in.i%len(services)], hexID(rng, 12)),
				"env": map[string]any{
					"LOG_LEVEL": "info", "REGION": regions[in.i%len(regions)], "FEATURE_FLAGS": "a,b,c",
					"DB_HOST": "db.internal", "CACHE_TTL": "300",
				},
				"ports": []any{
					map[string]any{"name": "http", "port": float64(8080), "protocol": "TCP"},
					map[string]any{"name": "metrics", "port": float64(9090), "protocol": "TCP"},
				},
			}
			if in.i%4 == 0 {
				input["credentials"] = map[string]any{
					"username":   "svc-" + strconv.Itoa(in.i),
					"password":   "pw-" + word(rng, 24),
					"api_tokens": strs("tok-"+word(rng, 28), "tok-"+word(rng, 28)),
				}
			}
			if in.i%10 == 3 {
				// A large nested input, in one terraform_data of ten: a routing
				// table of 60 entries.
				routes := make([]any, 60)
				for k := range routes {
					routes[k] = map[string]any{
						"path": fmt.Sprintf("/api/v%d/%s/%s", k%3+1, services[k%len(services)], word(rng, 10)),
						"upstream": map[string]any{
							"host": fmt.Sprintf("%s.%s.svc.cluster.local", services[k%len(services)], teams[k%len(teams)]),
							"port": float64(8000 + k), "timeout_ms": float64(500 + 10*k),
							"retry": map[string]any{"attempts": float64(3), "on": strs("5xx", "reset", "connect-failure")},
						},
						"headers": map[string]any{"x-route-id": strconv.Itoa(k), "x-team": teams[k%len(teams)]},
					}
				}
				input["routes"] = routes
			}
			return map[string]any{
				"id":               hexID(rng, 8) + "-" + hexID(rng, 4) + "-" + hexID(rng, 4) + "-" + hexID(rng, 4) + "-" + hexID(rng, 12),
				"input":            input,
				"output":           clone(input),
				"triggers_replace": nil,
			}
		},
		sensitive: func(in *instance) [][]string {
			if in.i%4 != 0 {
				return nil
			}
			return [][]string{
				{"input", "credentials", "password"}, {"input", "credentials", "api_tokens", "*"},
				{"output", "credentials", "password"}, {"output", "credentials", "api_tokens", "*"},
			}
		},
		update: func(rng *rand.Rand, after map[string]any) {
			in := after["input"].(map[string]any)
			in["replicas"] = float64(10 + rng.IntN(10))
			in["env"].(map[string]any)["LOG_LEVEL"] = "debug"
		},
		replace: func(rng *rand.Rand, after map[string]any) []any {
			after["triggers_replace"] = "rev-" + word(rng, 8)
			return []any{[]any{"triggers_replace"}}
		},
	},
	"aws_iam_policy": {
		provider: awsProvider,
		computed: []string{"arn", "id", "policy_id"},
		values: func(rng *rand.Rand, in *instance) map[string]any {
			var stmts []map[string]any
			for k := range 4 {
				stmts = append(stmts, map[string]any{
					"Sid": fmt.Sprintf("Stmt%d", k), "Effect": "Allow",
					"Action":   []string{"s3:GetObject", "s3:PutObject", "s3:ListBucket", "kms:Decrypt"},
					"Resource": []string{fmt.Sprintf("arn:aws:s3:::assets-%s/%s/*", teams[k%len(teams)], word(rng, 8))},
				})
			}
			pol, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
			return map[string]any{
				"arn":       arn("iam", "policy", rng),
				"id":        arn("iam", "policy", rng),
				"policy_id": "ANPA" + strings.ToUpper(word(rng, 17)),
				"name":      fmt.Sprintf("%s-access-%d", services[in.i%len(services)], in.i),
				"path":      "/",
				"policy":    string(pol),
				"tags":      tags(in),
			}
		},
		sensitive: func(*instance) [][]string { return nil },
		update: func(rng *rand.Rand, after map[string]any) {
			after["policy"] = strings.Replace(after["policy"].(string), "kms:Decrypt", "kms:Encrypt", 1)
			bumpTag(after, rng)
		},
		replace: func(rng *rand.Rand, after map[string]any) []any {
			after["name"] = after["name"].(string) + "-v2"
			return []any{[]any{"name"}}
		},
	},
	"aws_db_instance": {
		provider: awsProvider,
		computed: []string{"arn", "id", "endpoint", "address"},
		values: func(rng *rand.Rand, in *instance) map[string]any {
			pw := "db-" + word(rng, 20)
			if in.i%2 == 0 {
				pw = sharedPassword
			}
			return map[string]any{
				"arn":                     arn("rds", "db", rng),
				"id":                      "db-" + strings.ToUpper(word(rng, 26)),
				"identifier":              fmt.Sprintf("%s-db-%d", services[in.i%len(services)], in.i),
				"engine":                  "postgres",
				"engine_version":          "15.4",
				"instance_class":          "db.r6g.large",
				"allocated_storage":       float64(100),
				"username":                "app",
				"password":                pw,
				"endpoint":                fmt.Sprintf("%s.%s.eu-west-1.rds.amazonaws.com:5432", in.name, word(rng, 12)),
				"address":                 fmt.Sprintf("%s.%s.eu-west-1.rds.amazonaws.com", in.name, word(rng, 12)),
				"parameter_group_name":    "default.postgres15",
				"backup_retention_period": float64(7),
				"tags":                    tags(in),
				"tags_all":                tags(in),
			}
		},
		sensitive: func(*instance) [][]string { return [][]string{{"password"}} },
		update: func(rng *rand.Rand, after map[string]any) {
			after["engine_version"] = "15.6"
			after["allocated_storage"] = float64(200)
			bumpTag(after, rng)
		},
		replace: func(rng *rand.Rand, after map[string]any) []any {
			after["identifier"] = after["identifier"].(string) + "-v2"
			return []any{[]any{"identifier"}}
		},
	},
	"kubernetes_secret": {
		provider: k8sProvider,
		computed: []string{"id"},
		values: func(rng *rand.Rand, in *instance) map[string]any {
			data := map[string]any{
				"tls.crt":  "cert-" + word(rng, 40),
				"password": "k8s-" + word(rng, 18),
			}
			if in.i%100 == 88 {
				// A multi-line secret: masked as a whole and line by line.
				var pem strings.Builder
				pem.WriteString("-----BEGIN PRIVATE KEY-----\n")
				for range 6 {
					pem.WriteString(word(rng, 64) + "\n")
				}
				pem.WriteString("-----END PRIVATE KEY-----\n")
				data["tls.key"] = pem.String()
			}
			return map[string]any{
				"id": fmt.Sprintf("apps/%s-tls-%d", services[in.i%len(services)], in.i),
				"metadata": []any{map[string]any{
					"name": fmt.Sprintf("%s-tls-%d", services[in.i%len(services)], in.i), "namespace": "apps",
					"labels":      map[string]any{"app": services[in.i%len(services)], "team": teams[in.i%len(teams)]},
					"annotations": map[string]any{},
				}},
				"type": "kubernetes.io/tls",
				"data": data,
			}
		},
		sensitive: func(*instance) [][]string { return [][]string{{"data"}} },
		update: func(rng *rand.Rand, after map[string]any) {
			after["data"].(map[string]any)["password"] = "k8s-" + word(rng, 18)
			after["metadata"].([]any)[0].(map[string]any)["labels"].(map[string]any)["rotated"] = "true"
		},
		replace: func(rng *rand.Rand, after map[string]any) []any {
			md := after["metadata"].([]any)[0].(map[string]any)
			md["name"] = md["name"].(string) + "-v2"
			return []any{[]any{"metadata", float64(0), "name"}}
		},
	},
}
