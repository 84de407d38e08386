package fakegithub

import (
	"fmt"
	"net/http"
	"unicode/utf8"
)

// MaxStatusDescription is GitHub's limit on a deployment status description,
// in characters.
const MaxStatusDescription = 140

// writeCommentTooLong answers a comment body over MaxCommentLength as GitHub
// does. Creating and editing answer differently, as reported from the API:
// a create gets code "unprocessable" on field "data" with "Body is too long
// (maximum is 65536 characters)" (easybuilders/easybuild-easyconfigs#24647,
// 2025; jmikedupont2/ai-ticket#51, 2023); an edit gets code "custom" on
// field "body" with "body is too long (maximum is 65536 characters)"
// (joonvena/robotframework-reporter-action#30, a PATCH in 2024;
// suzuki-shunsuke/github-comment#124).
func writeCommentTooLong(w http.ResponseWriter, doc string) {
	e := fieldError{Resource: "IssueComment", Code: "custom", Field: "body",
		Message: fmt.Sprintf("body is too long (maximum is %d characters)", MaxCommentLength)}
	if doc == docsCreateComment {
		e = fieldError{Resource: "IssueComment", Code: "unprocessable", Field: "data",
			Message: fmt.Sprintf("Body is too long (maximum is %d characters)", MaxCommentLength)}
	}
	writeValidation(w, doc, e)
}

// validStatusDescription answers 422 like GitHub for a deployment status
// description over 140 characters and reports whether to go on. GitHub's
// body, as reported in Shopify/shipit-engine#1004: resource
// DeploymentStatus, code custom, field description, "description is too
// long (maximum is 140 characters)"; the limit is documented since
// github/developer.github.com#976.
func validStatusDescription(w http.ResponseWriter, desc string) bool {
	if utf8.RuneCountInString(desc) <= MaxStatusDescription {
		return true
	}
	writeValidation(w, docsCreateStatus, fieldError{Resource: "DeploymentStatus", Code: "custom", Field: "description",
		Message: fmt.Sprintf("description is too long (maximum is %d characters)", MaxStatusDescription)})
	return false
}
