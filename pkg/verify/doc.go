// Package verify proves a deployed app healthy over HTTP: smoke checks that
// retry each URL with capped exponential backoff until it answers as expected
// or a timeout passes, and a watch window that keeps probing and fails when
// the error rate passes a threshold. Reports render as a Markdown table for
// the job summary; response bodies are never read into a report. While a
// check waits (a retry's backoff, the time between watch rounds) it reports
// what it waits for and the time left at least every 10 seconds.
//
// Redirects are never followed: a check judges the answer of the URL it was
// given, so a 301 to a login page is not mistaken for health. Expect 3xx (or
// the exact code) with the expect-status input when a redirect is the right
// answer.
package verify
