// Package policy decides, per environment, whether an apply needs approval,
// whether destroys are allowed and how the app is deployed (direct or
// canary). Without a policy file, production-like environment names
// (production, prod, prd, in any case) need approval and deploy by canary.
package policy
