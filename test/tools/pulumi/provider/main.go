// Command pulumi-resource-lockstep is a Pulumi resource provider for
// lockstep's tests: a real `pulumi preview` and `pulumi up` can create,
// update, replace and fail its resources offline. scripts/install-tools.sh
// builds it into .bin/ (again whenever this source changes), where the
// Pulumi CLI finds it on PATH as the plugin of the package "lockstep".
//
// It has one resource type, lockstep:index:Thing, with three inputs, all
// echoed as outputs:
//
//   - value (string): changing it updates the resource in place;
//   - key (string): changing it replaces the resource;
//   - fail (boolean): when true, creating or updating the resource fails
//     with "failing on purpose", for partial-apply tests.
//
// A value starting with "invalid" fails the resource's check with an error
// that quotes it, as real providers' validation errors do; one starting
// with "slow" makes creating or updating take 5 seconds, for cancellation
// tests.
//
// By default it manages nothing outside Pulumi's state: a Thing's ID is
// "thing-<key>" and reading it (a refresh) returns the state unchanged.
//
// With LOCKSTEP_THING_DIR set to a directory (in the environment of the
// pulumi command, which passes it on to its plugins), the Things live in
// that directory too, like files of a local_file resource, so that
// something can change outside Pulumi (drift tests): a Thing's ID is
// "thing-<name>" ("thing-<name>-<key>" with a key; <name> is the resource's
// name in the program), creating or updating it writes its outputs to the
// file <dir>/<ID> as a JSON object ({"key":"k1","value":"one"}), deleting it
// removes the file, and reading it returns what the file holds: edit the
// file and a refresh sees the new values (as outputs and inputs), remove it
// and the Thing is gone (Read returns an empty ID, as providers do for a
// deleted resource). Previews never touch the directory.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	name    = "lockstep"
	version = "1.0.0"
	thing   = "lockstep:index:Thing"
	// storeEnv names the directory the Things are kept in (see the doc
	// comment); unset, they exist only in Pulumi's state.
	storeEnv = "LOCKSTEP_THING_DIR"
)

// schema is the package schema the YAML language host type-checks
// programs against.
const schema = `{
  "name": "lockstep",
  "version": "1.0.0",
  "resources": {
    "lockstep:index:Thing": {
      "type": "object",
      "inputProperties": {
        "value": {"type": "string"},
        "key": {"type": "string", "replaceOnChanges": true},
        "fail": {"type": "boolean"}
      },
      "properties": {
        "value": {"type": "string"},
        "key": {"type": "string"},
        "fail": {"type": "boolean"}
      }
    }
  }
}`

func main() {
	err := provider.Main(name, func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &server{}, nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-lockstep: %v\n", err)
		os.Exit(1)
	}
}

// sourceSHA256 is the SHA-256 of the source this binary was built from,
// set by scripts/install-tools.sh (-ldflags -X), which reads it back from
// the binary's build settings to rebuild it when the source changes.
var sourceSHA256 string

type server struct {
	pulumirpc.UnimplementedResourceProviderServer
}

func (*server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (*server) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: schema}, nil
}

func (*server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (*server) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (*server) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{SupportsPreview: true}, nil
}

func (*server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if req.GetType() != thing {
		return nil, fmt.Errorf("unknown resource type %q", req.GetType())
	}
	// A provider's own validation error quoting a value it was given: the
	// way a secret can reach Pulumi's output in clear.
	if v := req.GetNews().GetFields()["value"].GetStringValue(); strings.HasPrefix(v, "invalid") {
		return &pulumirpc.CheckResponse{Failures: []*pulumirpc.CheckFailure{{Property: "value", Reason: fmt.Sprintf("%q is not a valid value", v)}}}, nil
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// Diff reports every input whose value differs; a changed key replaces.
func (*server) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, news := req.GetOldInputs().GetFields(), req.GetNews().GetFields()
	keys := map[string]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	var diffs, replaces []string
	detailed := map[string]*pulumirpc.PropertyDiff{}
	for k := range keys {
		o, n := olds[k], news[k]
		if o != nil && n != nil && proto.Equal(o, n) {
			continue
		}
		kind := pulumirpc.PropertyDiff_UPDATE
		switch {
		case o == nil:
			kind = pulumirpc.PropertyDiff_ADD
		case n == nil:
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if k == "key" {
			kind += pulumirpc.PropertyDiff_ADD_REPLACE - pulumirpc.PropertyDiff_ADD
			replaces = append(replaces, k)
		}
		diffs = append(diffs, k)
		detailed[k] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	sort.Strings(diffs)
	sort.Strings(replaces)
	changes := pulumirpc.DiffResponse_DIFF_NONE
	if len(diffs) > 0 {
		changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return &pulumirpc.DiffResponse{
		Changes: changes, Diffs: diffs, Replaces: replaces,
		DetailedDiff: detailed, HasDetailedDiff: true,
		DeleteBeforeReplace: false,
	}, nil
}

func (*server) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	props := req.GetProperties()
	if !req.GetPreview() {
		slow(props)
	}
	if !req.GetPreview() && failing(props) {
		return nil, errors.New("failing on purpose (fail: true)")
	}
	key := props.GetFields()["key"].GetStringValue()
	id := "thing-" + key
	if dir := os.Getenv(storeEnv); dir != "" {
		id = "thing-" + urnName(req.GetUrn())
		if key != "" {
			id += "-" + key
		}
		if !req.GetPreview() {
			if err := store(dir, id, props); err != nil {
				return nil, err
			}
		}
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

// Read returns the state unchanged, or with LOCKSTEP_THING_DIR what the
// Thing's file holds (an empty ID when there is no file: the Thing is
// gone).
func (*server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	dir := os.Getenv(storeEnv)
	if dir == "" {
		return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
	}
	path, err := thingFile(dir, req.GetId())
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &pulumirpc.ReadResponse{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading thing %s: %w", req.GetId(), err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decoding thing %s (%s): %w", req.GetId(), path, err)
	}
	props, err := structpb.NewStruct(m)
	if err != nil {
		return nil, fmt.Errorf("decoding thing %s (%s): %w", req.GetId(), path, err)
	}
	// Every output is an input echoed: what the file holds is both.
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: props, Inputs: props}, nil
}

func (*server) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	news := req.GetNews()
	if !req.GetPreview() {
		slow(news)
	}
	if !req.GetPreview() && failing(news) {
		return nil, errors.New("failing on purpose (fail: true)")
	}
	if dir := os.Getenv(storeEnv); dir != "" && !req.GetPreview() {
		if err := store(dir, req.GetId(), news); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.UpdateResponse{Properties: news}, nil
}

func (*server) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	if dir := os.Getenv(storeEnv); dir != "" {
		path, err := thingFile(dir, req.GetId())
		if err != nil {
			return nil, err
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("deleting thing %s: %w", req.GetId(), err)
		}
	}
	return &emptypb.Empty{}, nil
}

func (*server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// urnName is the resource's name, the last part of its URN.
func urnName(urn string) string { return urn[strings.LastIndex(urn, "::")+2:] }

// thingFile is the file of the Thing id in dir. An ID that is not a plain
// file name is refused, never followed out of the directory.
func thingFile(dir, id string) (string, error) {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, `/\`) {
		return "", fmt.Errorf("thing ID %q is not a file name in %s", id, storeEnv)
	}
	return filepath.Join(dir, id), nil
}

// store writes a Thing's outputs to its file, creating the directory.
func store(dir, id string, props *structpb.Struct) error {
	path, err := thingFile(dir, id)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(props.AsMap())
	if err != nil {
		return fmt.Errorf("encoding thing %s: %w", id, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("making %s: %w", storeEnv, err)
	}
	if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing thing %s: %w", id, err)
	}
	return nil
}

func failing(props *structpb.Struct) bool { return props.GetFields()["fail"].GetBoolValue() }

// slow sleeps when the value starts with "slow".
func slow(props *structpb.Struct) {
	if strings.HasPrefix(props.GetFields()["value"].GetStringValue(), "slow") {
		time.Sleep(5 * time.Second)
	}
}
