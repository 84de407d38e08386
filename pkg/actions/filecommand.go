package actions

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// go-githubactions v1.3.1 writes GITHUB_OUTPUT and GITHUB_ENV entries as
// name<<_GitHubActionsFileCommandDelimeter_ with that fixed delimiter, so a
// value holding "\n_GitHubActionsFileCommandDelimeter_\nPATH=..." (a Terraform
// output, a branch name in a version) would end its entry early and set
// whatever it likes after it. lockstep writes these files itself, with a
// fresh random delimiter per write, as @actions/core does.

// newDelimiter returns a random heredoc delimiter.
func newDelimiter() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a file command delimiter: %w", err)
	}
	return "ghadelimiter_" + hex.EncodeToString(b), nil
}

// formatFileCommand returns the name<<delimiter entry of a key-value file
// command, refusing what could end the entry early or start another: a
// name that is empty or holds a line break, "<<" or "=", and a name or value
// holding the delimiter.
func formatFileCommand(name, value, delimiter string) (string, error) {
	if name == "" || strings.ContainsAny(name, "\r\n=") || strings.Contains(name, "<<") {
		return "", fmt.Errorf("name %q is not a valid file command key (empty, or holds a line break, = or <<)", name)
	}
	if delimiter == "" || strings.Contains(name, delimiter) || strings.Contains(value, delimiter) {
		return "", fmt.Errorf("the value of %s contains the file command delimiter %q: refusing to write it", name, delimiter)
	}
	return name + "<<" + delimiter + "\n" + value + "\n" + delimiter + "\n", nil
}

// appendFileCommand appends name=value to the file named by the runner's
// variable (GITHUB_OUTPUT or GITHUB_ENV).
func (r *Reporter) appendFileCommand(variable, doing, name, value string) error {
	path := r.getenv(variable)
	if path == "" {
		return fmt.Errorf("%s: %s is not set; is this running as a GitHub Action?", doing, variable)
	}
	delimiter, err := r.delimiter()
	if err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	entry, err := formatFileCommand(name, value, delimiter)
	if err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("%s: opening %s: %w", doing, variable, err)
	}
	if _, err := f.WriteString(entry); err != nil {
		f.Close()
		return fmt.Errorf("%s: writing %s: %w", doing, variable, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: closing %s: %w", doing, variable, err)
	}
	return nil
}
