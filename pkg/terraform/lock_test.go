package terraform

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStateLock(t *testing.T) {
	// As Terraform 1.11.4 prints it on stderr, between terraform-exec's
	// "exit status 1" and the advice that follows.
	stderr := "exit status 1\n\nError: Error acquiring the state lock\n\nError message: resource temporarily unavailable\nLock Info:\n" +
		"  ID:        d5e15882-19dc-ddd6-3bba-5427dc548000\n  Path:      terraform.tfstate\n  Operation: OperationTypeApply\n" +
		"  Who:       root@vm\n  Version:   1.11.4\n  Created:   2026-12-02 15:04:23.438844255 +0000 UTC\n  Info:      \n\n\n" +
		"Terraform acquires a state lock to protect the state from being written\nby multiple users at the same time. Please resolve the issue above and try\n" +
		"again. For most commands, you can disable locking with the \"-lock=false\"\nflag, but this is not recommended.\n"
	tests := []struct {
		name   string
		text   string
		want   LockInfo
		locked bool
	}{
		{"stderr", stderr, LockInfo{ID: "d5e15882-19dc-ddd6-3bba-5427dc548000", Path: "terraform.tfstate", Operation: "OperationTypeApply",
			Who: "root@vm", Version: "1.11.4", Created: "2026-12-02 15:04:23.438844255 +0000 UTC"}, true},
		{"a JSON diagnostic's summary and detail", "Error acquiring the state lock: Error message: ConditionalCheckFailedException\nLock Info:\n  ID:        3f0c\n  Who:       ci@runner\n",
			LockInfo{ID: "3f0c", Who: "ci@runner"}, true},
		{"locked, nothing said about the lock", "Error: Error acquiring the state lock\n\nError message: timeout\n", LockInfo{}, true},
		{"another error", "Error: Reference to undeclared resource\n\nLock Info:\n  ID: nope\n", LockInfo{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, locked := StateLock(tt.text)
			assert.Equal(t, tt.locked, locked)
			assert.Equal(t, tt.want, got)
		})
	}
}
