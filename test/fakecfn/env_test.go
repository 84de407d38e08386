package fakecfn_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"

	"github.com/lockstep-ci/lockstep/test/fakecfn"
)

// A child process gets the server through Env alone: LoadDefaultConfig
// reads AWS_ENDPOINT_URL_CLOUDFORMATION for the cloudformation client.
func TestEnvReachesTheServerThroughLoadDefaultConfig(t *testing.T) {
	s := fakecfn.New()
	defer s.Close()
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseEndpoint != nil {
		t.Fatalf("the endpoint came from the global config, not the service variable: %s", *cfg.BaseEndpoint)
	}
	c := cfn.NewFromConfig(cfg)
	if _, err := c.DescribeStacks(context.Background(), &cfn.DescribeStacksInput{}); err != nil {
		t.Fatalf("DescribeStacks through Env: %v", err)
	}
	calls := s.Calls()
	if len(calls) != 1 || calls[0].Action != "DescribeStacks" || !calls[0].Signed {
		t.Fatalf("calls %+v", calls)
	}
}

func TestUnsignedRequestIsRefused(t *testing.T) {
	s := fakecfn.New()
	defer s.Close()
	form := url.Values{"Action": {"DescribeStacks"}, "Version": {"2010-05-15"}}
	resp, err := http.Post(s.URL(), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := new(strings.Builder)
	_, _ = io.Copy(body, resp.Body)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body.String(), "<Code>MissingAuthenticationToken</Code>") {
		t.Fatalf("unsigned request: %d %s", resp.StatusCode, body)
	}

	// the SDK with anonymous credentials does not sign either
	cfg := s.Config(context.Background())
	cfg.Credentials = aws.AnonymousCredentials{}
	_, err = cfn.NewFromConfig(cfg).DescribeStacks(context.Background(), &cfn.DescribeStacksInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "MissingAuthenticationToken" {
		t.Fatalf("anonymous SDK call: %v", err)
	}
}

func TestUnknownActionIsInvalidAction(t *testing.T) {
	s, c := newClient(t)
	_, err := c.ListExports(context.Background(), &cfn.ListExportsInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidAction" || !strings.Contains(ae.ErrorMessage(), "ListExports") {
		t.Fatalf("ListExports: %v", err)
	}
	if s.CallCount("ListExports") != 1 {
		t.Fatalf("calls: %+v", s.Calls())
	}
}
