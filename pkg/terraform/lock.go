package terraform

import (
	"strings"
)

// LockInfo is what Terraform (and OpenTofu) print about a state lock
// another run holds, in the "Error acquiring the state lock" diagnostic.
type LockInfo struct {
	ID, Path, Operation, Who, Version, Created string
}

// StateLock finds the "Error acquiring the state lock" diagnostic in text
// (a command's stderr, or a JSON diagnostic's detail) and reads its
// "Lock Info:" block. ok is false when text holds no such diagnostic.
func StateLock(text string) (info LockInfo, ok bool) {
	i := strings.Index(text, "Error acquiring the state lock")
	if i < 0 {
		return LockInfo{}, false
	}
	rest := text[i:]
	j := strings.Index(rest, "Lock Info:")
	if j < 0 {
		return LockInfo{}, true // locked, with nothing said about by whom
	}
	for _, line := range strings.Split(rest[j+len("Lock Info:"):], "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		key, value, found := strings.Cut(line, ":")
		if !found {
			break // the block ends at the explanation that follows it
		}
		value = strings.TrimSpace(value)
		switch strings.TrimSpace(key) {
		case "ID":
			info.ID = value
		case "Path":
			info.Path = value
		case "Operation":
			info.Operation = value
		case "Who":
			info.Who = value
		case "Version":
			info.Version = value
		case "Created":
			info.Created = value
		case "Info":
		default:
			return info, true
		}
	}
	return info, true
}
