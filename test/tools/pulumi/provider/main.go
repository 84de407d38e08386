// Command pulumi-resource-lockstep is a Pulumi resource provider for
// lockstep's tests: it manages nothing outside Pulumi's state, so a real
// `pulumi preview` and `pulumi up` can create, update, replace and fail
// resources offline. scripts/install-tools.sh builds it into .bin/, where
// the Pulumi CLI finds it on PATH as the plugin of the package "lockstep".
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
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
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
	id := "thing-" + props.GetFields()["key"].GetStringValue()
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

func (*server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (*server) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	news := req.GetNews()
	if !req.GetPreview() {
		slow(news)
	}
	if !req.GetPreview() && failing(news) {
		return nil, errors.New("failing on purpose (fail: true)")
	}
	return &pulumirpc.UpdateResponse{Properties: news}, nil
}

func (*server) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (*server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func failing(props *structpb.Struct) bool { return props.GetFields()["fail"].GetBoolValue() }

// slow sleeps when the value starts with "slow".
func slow(props *structpb.Struct) {
	if strings.HasPrefix(props.GetFields()["value"].GetStringValue(), "slow") {
		time.Sleep(5 * time.Second)
	}
}
