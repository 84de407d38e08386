package fakecfn

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// The stack status reasons CloudFormation writes; "User Initiated" and the
// "failed to create/update" lists are AWS's own wording as seen in consoles
// and CLI output.
const (
	reasonUserInitiated = "User Initiated"
	reasonInitiated     = "Resource creation Initiated"
	reasonReplacing     = "Requested update requires the creation of a new physical resource; hence creating one."
)

// snapshot of a stack's state before an execution, for rollback.
type stackState struct {
	tmpl      *template
	body      string
	params    map[string]string
	resources []*resource
	outputs   []types.Output
}

func (st *stack) save() stackState {
	res := make([]*resource, len(st.resources))
	for i, r := range st.resources {
		c := *r
		res[i] = &c
	}
	return stackState{tmpl: st.tmpl, body: st.body, params: st.params, resources: res, outputs: st.outputs}
}

func (st *stack) restore(s stackState) {
	st.tmpl, st.body, st.params, st.resources, st.outputs = s.tmpl, s.body, s.params, s.resources, s.outputs
}

// executed records what one resource step did, for cleanup and rollback.
type executed struct {
	logicalID string
	action    types.ChangeAction
	oldPhys   string // the physical ID a replacement superseded
	replaced  bool
}

// execute runs a change set to completion in one go: resources in
// dependency order, events as CloudFormation writes them, then the final
// status. A failing resource ([Server.FailResource]) stops the run; then the
// stack stays failed (disableRollback) or rolls back. Callers hold s.mu.
func (s *Server) execute(st *stack, cs *changeSet, disableRollback bool) {
	creating := st.tmpl == nil
	before := st.save()
	inProgress, complete, failed := types.StackStatusUpdateInProgress, types.StackStatusUpdateComplete, types.StackStatusUpdateFailed
	if creating {
		inProgress, complete, failed = types.StackStatusCreateInProgress, types.StackStatusCreateComplete, types.StackStatusCreateFailed
	}
	st.disableRollback = disableRollback
	s.stackEvent(st, inProgress, reasonUserInitiated)
	st.pending, st.pendingStatus, st.visibleEvents = s.pendingN, inProgress, len(st.events)

	changes := map[string]*types.ResourceChange{}
	for _, c := range cs.changes {
		changes[aws.ToString(c.ResourceChange.LogicalResourceId)] = c.ResourceChange
	}
	st.tmpl, st.body, st.params, st.capabilities, st.tags = cs.tmpl, cs.body, cs.params, cs.capabilities, cs.tags
	ordered, _ := cs.tmpl.order()
	var done []executed
	var failedID string
	var failedAction types.ChangeAction
	ev := st.evaluatorFor(st.params, nil, nil)
	shownEv := st.evaluatorFor(st.params, st.noEcho(), nil)
	shownEv.mask = true
	for _, def := range ordered {
		rc := changes[def.LogicalID]
		if rc == nil {
			continue
		}
		deployed := &resource{logicalID: def.LogicalID, rtype: def.Type, deletionPolicy: def.DeletionPolicy, raw: def.Properties}
		deployed.props, _ = ev.eval(def.Properties).(map[string]any)
		deployed.shown, _ = shownEv.eval(def.Properties).(map[string]any)
		reason, fail := s.failures[st.name+"/"+def.LogicalID]
		switch rc.Action {
		case types.ChangeActionAdd:
			s.resourceEvent(st, def.LogicalID, "", def.Type, types.ResourceStatusCreateInProgress, "")
			deployed.updated = s.now()
			if fail {
				s.resourceEvent(st, def.LogicalID, "", def.Type, types.ResourceStatusCreateFailed, reason)
				deployed.status, deployed.reason = types.ResourceStatusCreateFailed, reason
				st.put(deployed)
				failedID, failedAction = def.LogicalID, rc.Action
				break
			}
			s.seq++
			deployed.physical = physicalID(st.name, def, deployed.props, s.seq)
			deployed.status = types.ResourceStatusCreateComplete
			s.resourceEvent(st, def.LogicalID, deployed.physical, def.Type, types.ResourceStatusCreateInProgress, reasonInitiated)
			s.resourceEvent(st, def.LogicalID, deployed.physical, def.Type, types.ResourceStatusCreateComplete, "")
			st.put(deployed)
			done = append(done, executed{logicalID: def.LogicalID, action: rc.Action})
		case types.ChangeActionModify:
			cur := st.resource(def.LogicalID)
			replacing := rc.Replacement == types.ReplacementTrue
			startReason := ""
			if replacing {
				startReason = reasonReplacing
			}
			s.resourceEvent(st, def.LogicalID, cur.physical, def.Type, types.ResourceStatusUpdateInProgress, startReason)
			if fail {
				s.resourceEvent(st, def.LogicalID, cur.physical, def.Type, types.ResourceStatusUpdateFailed, reason)
				cur.status, cur.reason = types.ResourceStatusUpdateFailed, reason
				failedID, failedAction = def.LogicalID, rc.Action
				break
			}
			step := executed{logicalID: def.LogicalID, action: rc.Action, replaced: replacing, oldPhys: cur.physical}
			deployed.physical, deployed.actual = cur.physical, map[string]any{}
			if replacing {
				s.seq++
				deployed.physical = physicalID(st.name, def, deployed.props, s.seq)
				s.resourceEvent(st, def.LogicalID, deployed.physical, def.Type, types.ResourceStatusUpdateInProgress, reasonInitiated)
			} else {
				for k, v := range cur.actual {
					if sameValue(cur.props[k], deployed.props[k]) {
						deployed.actual[k] = v // drift on a property the update did not write stays
					}
				}
			}
			deployed.status, deployed.updated = types.ResourceStatusUpdateComplete, s.now()
			st.put(deployed)
			s.resourceEvent(st, def.LogicalID, deployed.physical, def.Type, types.ResourceStatusUpdateComplete, "")
			done = append(done, step)
		}
		if failedID != "" {
			break
		}
	}

	if failedID == "" {
		s.finishSuccess(st, cs, creating, complete, done)
		return
	}
	verb := "update"
	if failedAction == types.ChangeActionAdd {
		verb = "create"
	}
	stackReason := fmt.Sprintf("The following resource(s) failed to %s: [%s]. ", verb, failedID)
	cs.exec = types.ExecutionStatusExecuteFailed
	st.version++
	if disableRollback {
		st.setStatus(failed, stackReason, s.now(), creating)
		s.stackEvent(st, failed, stackReason)
		st.orderResources()
		return
	}
	if creating {
		s.rollbackCreate(st, stackReason+"Rollback requested by user.")
		return
	}
	s.rollbackUpdate(st, before, done, failedID, failedAction, stackReason)
}

func (s *Server) finishSuccess(st *stack, cs *changeSet, creating bool, complete types.StackStatus, done []executed) {
	if !creating {
		var cleanup []func()
		for i := len(done) - 1; i >= 0; i-- {
			d := done[i]
			if d.replaced {
				r := st.resource(d.logicalID)
				cleanup = append(cleanup, func() {
					s.resourceEvent(st, d.logicalID, d.oldPhys, r.rtype, types.ResourceStatusDeleteInProgress, "")
					s.resourceEvent(st, d.logicalID, d.oldPhys, r.rtype, types.ResourceStatusDeleteComplete, "")
				})
			}
		}
		var kept []*resource
		for i := len(st.resources) - 1; i >= 0; i-- {
			r := st.resources[i]
			if _, ok := cs.tmpl.resource(r.logicalID); ok {
				kept = append([]*resource{r}, kept...)
				continue
			}
			retain := r.deletionPolicy == "Retain"
			cleanup = append(cleanup, func() {
				s.resourceEvent(st, r.logicalID, r.physical, r.rtype, types.ResourceStatusDeleteInProgress, "")
				if retain {
					s.resourceEvent(st, r.logicalID, r.physical, r.rtype, types.ResourceStatusDeleteSkipped, "")
					return
				}
				s.resourceEvent(st, r.logicalID, r.physical, r.rtype, types.ResourceStatusDeleteComplete, "")
			})
		}
		st.resources = kept
		if len(cleanup) > 0 {
			s.stackEvent(st, types.StackStatusUpdateCompleteCleanupInProgress, "")
			for _, f := range cleanup {
				f()
			}
		}
	}
	st.orderResources()
	st.computeOutputs()
	st.setStatus(complete, "", s.now(), creating)
	s.stackEvent(st, complete, "")
	st.version++
	cs.exec = types.ExecutionStatusExecuteComplete
}

func (s *Server) rollbackCreate(st *stack, reason string) {
	st.setStatus(types.StackStatusRollbackInProgress, reason, s.now(), true)
	s.stackEvent(st, types.StackStatusRollbackInProgress, reason)
	for i := len(st.resources) - 1; i >= 0; i-- {
		r := st.resources[i]
		if r.physical != "" {
			s.resourceEvent(st, r.logicalID, r.physical, r.rtype, types.ResourceStatusDeleteInProgress, "")
		}
		s.resourceEvent(st, r.logicalID, r.physical, r.rtype, types.ResourceStatusDeleteComplete, "")
	}
	st.resources = nil
	st.outputs = nil
	st.setStatus(types.StackStatusRollbackComplete, "", s.now(), true)
	s.stackEvent(st, types.StackStatusRollbackComplete, "")
}

func (s *Server) rollbackUpdate(st *stack, before stackState, done []executed, failedID string, failedAction types.ChangeAction, reason string) {
	st.setStatus(types.StackStatusUpdateRollbackInProgress, reason, s.now(), false)
	s.stackEvent(st, types.StackStatusUpdateRollbackInProgress, reason)
	old := map[string]*resource{}
	for _, r := range before.resources {
		old[r.logicalID] = r
	}
	var cleanup []func()
	for i := len(done) - 1; i >= 0; i-- {
		d := done[i]
		cur := st.resource(d.logicalID)
		switch {
		case d.action == types.ChangeActionAdd:
			phys, rtype := cur.physical, cur.rtype
			cleanup = append(cleanup, func() {
				s.resourceEvent(st, d.logicalID, phys, rtype, types.ResourceStatusDeleteInProgress, "")
				s.resourceEvent(st, d.logicalID, phys, rtype, types.ResourceStatusDeleteComplete, "")
			})
		default:
			o := old[d.logicalID]
			s.resourceEvent(st, d.logicalID, o.physical, o.rtype, types.ResourceStatusUpdateInProgress, "")
			s.resourceEvent(st, d.logicalID, o.physical, o.rtype, types.ResourceStatusUpdateComplete, "")
			if d.replaced {
				phys, rtype := cur.physical, cur.rtype
				cleanup = append(cleanup, func() {
					s.resourceEvent(st, d.logicalID, phys, rtype, types.ResourceStatusDeleteInProgress, "")
					s.resourceEvent(st, d.logicalID, phys, rtype, types.ResourceStatusDeleteComplete, "")
				})
			}
		}
	}
	// the resource that failed is rolled back to what it was as well
	touched := map[string]bool{failedID: true}
	for _, d := range done {
		touched[d.logicalID] = true
	}
	if r := st.resource(failedID); r != nil {
		if failedAction == types.ChangeActionModify {
			s.resourceEvent(st, r.logicalID, r.physical, r.rtype, types.ResourceStatusUpdateInProgress, "")
			s.resourceEvent(st, r.logicalID, r.physical, r.rtype, types.ResourceStatusUpdateComplete, "")
		} else {
			cleanup = append(cleanup, func() {
				s.resourceEvent(st, r.logicalID, "", r.rtype, types.ResourceStatusDeleteComplete, "")
			})
		}
	}
	s.stackEvent(st, types.StackStatusUpdateRollbackCompleteCleanupInProgress, "")
	for _, f := range cleanup {
		f()
	}
	st.restore(before)
	for _, r := range st.resources {
		if touched[r.logicalID] {
			r.status, r.reason = types.ResourceStatusUpdateComplete, ""
		}
	}
	st.setStatus(types.StackStatusUpdateRollbackComplete, "", s.now(), false)
	s.stackEvent(st, types.StackStatusUpdateRollbackComplete, "")
}

func (st *stack) setStatus(status types.StackStatus, reason string, now time.Time, creating bool) {
	st.status, st.reason = status, reason
	if !creating {
		st.updated = now
	}
}

// put stores r as the stack's resource of its logical ID, replacing the
// record it had (a resource is replaced, updated, or created again after a
// failed create).
func (st *stack) put(r *resource) {
	for i, cur := range st.resources {
		if cur.logicalID == r.logicalID {
			st.resources[i] = r
			return
		}
	}
	st.resources = append(st.resources, r)
}

// orderResources keeps st.resources in the current template's order.
func (st *stack) orderResources() {
	if st.tmpl == nil {
		return
	}
	var out []*resource
	for _, d := range st.tmpl.Resources {
		if r := st.resource(d.LogicalID); r != nil {
			out = append(out, r)
		}
	}
	for _, r := range st.resources {
		if _, ok := st.tmpl.resource(r.logicalID); !ok {
			out = append(out, r) // left over from a failed run without rollback
		}
	}
	st.resources = out
}

func (s *Server) stackEvent(st *stack, status types.StackStatus, reason string) {
	s.addEvent(st, st.name, st.id, "AWS::CloudFormation::Stack", types.ResourceStatus(status), reason)
}

func (s *Server) resourceEvent(st *stack, id, phys, rtype string, status types.ResourceStatus, reason string) {
	s.addEvent(st, id, phys, rtype, status, reason)
}

func (s *Server) addEvent(st *stack, id, phys, rtype string, status types.ResourceStatus, reason string) {
	now := s.now()
	s.seq++
	e := types.StackEvent{
		StackId:           aws.String(st.id),
		StackName:         aws.String(st.name),
		EventId:           aws.String(fmt.Sprintf("%s-%s-%s", id, status, now.Format("2006-01-02T15:04:05.000Z"))),
		LogicalResourceId: aws.String(id),
		ResourceType:      aws.String(rtype),
		ResourceStatus:    status,
		Timestamp:         aws.Time(now),
	}
	if rtype == "AWS::CloudFormation::Stack" && id == st.name {
		e.EventId = aws.String(uuid(s.seq))
	}
	if phys != "" {
		e.PhysicalResourceId = aws.String(phys)
	}
	if s.token != "" {
		e.ClientRequestToken = aws.String(s.token)
	}
	if reason != "" {
		e.ResourceStatusReason = aws.String(reason)
	}
	st.events = append(st.events, e)
}
