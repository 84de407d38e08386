// Package sealed owns the encrypted form of a saved plan: <plan-file>.age,
// which plan writes beside the plan and its binding record when
// LOCKSTEP_PLAN_KEY is set, and which apply decrypts back into <plan-file>
// before the binding check. A saved plan holds every variable and sensitive
// value in clear text; only the sealed form may leave the job that made it.
//
// The file is age (age-encryption.org/v1) with one scrypt passphrase
// recipient. Its payload is a short header followed by the plan's bytes:
//
//	lockstep-sealed-plan/1
//	record-sha256 <hex SHA-256 of the binding record's bytes>
//	<blank line>
//	<the saved plan>
//
// age authenticates the whole payload, so whoever lacks the key can neither
// read the plan nor write a sealed plan that opens, and the record hash ties
// the plan to exactly the binding record it was sealed with: an older sealed
// plan (another commit, another directory) cannot be paired with an edited
// record.
package sealed
