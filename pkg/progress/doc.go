// Package progress keeps long waits visible: it sleeps in slices of at most
// Every and reports what is awaited and how long is left before each slice,
// so a job log never goes quiet for longer than Every during a canary bake,
// smoke retries, a dispatched run or a metrics window.
package progress
