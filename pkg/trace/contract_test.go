package trace_test

import (
	"testing"

	"github.com/lockstep-ci/lockstep/pkg/trace"
	"github.com/lockstep-ci/lockstep/pkg/trace/tracetest"
)

func TestFileLedgerContract(t *testing.T) {
	tracetest.LedgerContract(t, func(t *testing.T) trace.Ledger {
		return &trace.FileLedger{Dir: t.TempDir()}
	})
}
