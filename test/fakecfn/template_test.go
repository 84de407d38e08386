package fakecfn

import (
	"strings"
	"testing"
)

func TestTemplateShortFormsEvaluate(t *testing.T) {
	body := `
Parameters:
  Env: {Type: String, Default: dev}
  Zones: {Type: CommaDelimitedList, Default: "a,b"}
Resources:
  Topic:
    Type: AWS::SNS::Topic
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Join ["-", [!Ref Env, !Select [1, [x, y, z]]]]
      Tags:
        - Key: drop
          Value: !Ref AWS::NoValue
Outputs:
  SubList: {Value: !Sub ["${A}-${Env}", {A: !GetAtt [Topic, TopicName]}]}
  SubAttr: {Value: !Sub "${Queue.Arn} in ${AWS::Region} of ${AWS::AccountId}, ${!Literal}"}
  Joined: {Value: !Join [",", [!Ref Env, !Ref AWS::StackName]]}
  Encoded: {Value: !Base64 "hi"}
  Opaque: {Value: !If [IsProd, a, b]}
`
	tmpl, err := parseTemplate(body)
	if err != nil {
		t.Fatal(err)
	}
	st := &stack{name: "app", id: "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1", tmpl: tmpl,
		params: map[string]string{"Env": "dev", "Zones": "a,b"},
		resources: []*resource{
			{logicalID: "Topic", rtype: "AWS::SNS::Topic", physical: "arn:aws:sns:us-east-1:123456789012:app-Topic-X"},
			{logicalID: "Queue", rtype: "AWS::SQS::Queue", physical: "https://sqs.us-east-1.amazonaws.com/123456789012/dev-y"},
		}}
	props := st.evaluatorFor(st.params, nil, nil).eval(tmpl.Resources[1].Properties).(map[string]any)
	if props["QueueName"] != "dev-y" {
		t.Fatalf("QueueName %v", props["QueueName"])
	}
	if tags := props["Tags"].([]any); len(tags[0].(map[string]any)) != 1 {
		t.Fatalf("AWS::NoValue kept: %v", tags)
	}
	st.computeOutputs()
	got := map[string]string{}
	for _, o := range st.outputs {
		got[*o.OutputKey] = *o.OutputValue
	}
	want := map[string]string{
		"SubList": "arn:aws:sns:us-east-1:123456789012:app-Topic-X.TopicName-dev",
		"SubAttr": "arn:aws:sqs:us-east-1:123456789012:dev-y in us-east-1 of 123456789012, ${Literal}",
		"Joined":  "dev,app",
		"Encoded": "aGk=",
		"Opaque":  `{"Fn::If":["IsProd","a","b"]}`,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("output %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestTemplateOrderAndRefusals(t *testing.T) {
	tmpl, err := parseTemplate("{\n\t\"Resources\": {\n\t\t\"B\": {\"Type\": \"T::B::B\", \"Properties\": {\"X\": {\"Ref\": \"A\"}}},\n\t\t\"A\": {\"Type\": \"T::A::A\"},\n\t\t\"C\": {\"Type\": \"T::C::C\", \"DependsOn\": [\"B\"]}\n\t}\n}")
	if err != nil {
		t.Fatal(err)
	}
	order, _ := tmpl.order()
	var ids []string
	for _, r := range order {
		ids = append(ids, r.LogicalID)
	}
	if strings.Join(ids, ",") != "A,B,C" {
		t.Fatalf("order %v", ids)
	}
	cases := map[string]string{
		"Resources:\n  A:\n    Type: X::Y::Z\n    DependsOn: B\n  B:\n    Type: X::Y::Z\n    Properties:\n      P: !GetAtt A.Arn\n": "Template format error: Circular dependency between resources: [A, B]",
		"Resources:\n  A:\n    Properties: {}\n":                                      "Template format error: [/Resources/A] Every Resources object must contain a Type member.",
		"Resources:\n  A:\n    Type: X::Y::Z\n    DependsOn: Nope\n":                  "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template",
		"Resources:\n  A:\n    Type: X::Y::Z\nOutputs:\n  O:\n    Value: !Ref Nope\n": "Template format error: Unresolved resource dependencies [Nope] in the Outputs block of the template",
		"Resources:\n  A:\n    Type: X::Y::Z\nBogus: 1\n":                             "Template format error: Invalid template property or properties [Bogus]",
		"Parameters:\n  P: {Default: x}\nResources:\n  A:\n    Type: X::Y::Z\n":       "Template format error: [/Parameters/P] Every Parameters object must contain a Type member.",
	}
	for body, want := range cases {
		if _, err := parseTemplate(body); err == nil || err.message != want || err.code != "ValidationError" {
			t.Errorf("%q: got %v, want %q", body, err, want)
		}
	}
}
