// Package policy owns the optional policy file (.lockstep.yml by default) and
// decides, per environment, whether an apply needs approval, whether destroys
// are allowed and how the app is deployed (direct or canary).
//
// Load reads the file strictly: every unknown key and bad value is a
// *FileError naming the file, line and key. Resolve combines the file with
// the inputs: an input wins when it was given, then the file's entry for the
// environment (matched in any case), then the defaults, under which
// production-like names (production, prod, prd, in any case) need approval
// and deploy by canary, and others need none and deploy directly. DestroyGuard
// refuses plans that delete or replace resources unless the policy allows it
// (allow-destroy: true, or a list of addresses matched by MatchAddress);
// apply may still allow the rest with a pull request's AllowDestroyLabel.
//
// The file also carries the monorepo settings (stacks, depends-on,
// infra-paths, app-paths) that package detect acts on.
package policy
