#!/usr/bin/env bash
# What lockstep adds on top of Terraform, end to end, on a generated stack of
# terraform_data resources (default 1,000): alternating runs of
#
#   lockstep plan --working-directory STACK --summary-file FILE   (CLI mode)
#   terraform init && terraform plan -out=tfplan && terraform show -json tfplan
#
# (N of each, default 5, after one warm-up of each), then the medians and
# their ratio. The budget is 1.05. The stack is applied at version 1 first
# (not timed); both commands then plan version 2: 10% create, 24% update, 10%
# replace, 10% delete, the rest unchanged.
#
# Usage: test/bench/overhead.sh [-n RESOURCES] [-r RUNS] [-k]
#   -k keeps the work directory (printed) instead of removing it.
set -euo pipefail

resources=1000
runs=5
keep=false
while getopts "n:r:k" opt; do
	case "$opt" in
	n) resources=$OPTARG ;;
	r) runs=$OPTARG ;;
	k) keep=true ;;
	*) exit 2 ;;
	esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
terraform=${LOCKSTEP_TERRAFORM:-$(command -v terraform)}
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

work=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-overhead.XXXXXX")
cleanup() {
	if [[ $keep == true ]]; then
		echo "work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

echo "building lockstep and the generator…"
(cd "$root" && go build -o "$work/lockstep" ./cmd/lockstep && go build -o "$work/benchgen" ./test/bench/cmd/benchgen)

stack=$work/stack
echo "applying version 1 of a $resources-resource terraform_data stack (not timed)…"
"$work/benchgen" stack -n "$resources" -version 1 -dir "$stack"
(cd "$stack" && "$terraform" init -input=false >/dev/null && "$terraform" apply -input=false -auto-approve >/dev/null)
"$work/benchgen" stack -n "$resources" -version 2 -dir "$stack"

# now_ms prints the time in milliseconds.
now_ms() { date +%s%3N; }

run_lockstep() {
	"$work/lockstep" plan --working-directory "$stack" --terraform-path "$terraform" \
		--summary-file "$work/summary.md" >/dev/null 2>"$work/lockstep.err" || {
		cat "$work/lockstep.err" >&2
		return 1
	}
}

run_terraform() {
	(
		cd "$stack"
		"$terraform" init -input=false >/dev/null
		"$terraform" plan -input=false -out=tfplan >/dev/null
		"$terraform" show -json tfplan >/dev/null
	)
}

# time_ms runs a command and prints how long it took, in milliseconds.
time_ms() {
	local start
	start=$(now_ms)
	"$@"
	echo $(($(now_ms) - start))
}

echo "warming up…"
run_lockstep
run_terraform

lockstep_ms=()
terraform_ms=()
for ((i = 1; i <= runs; i++)); do
	t=$(time_ms run_lockstep)
	lockstep_ms+=("$t")
	b=$(time_ms run_terraform)
	terraform_ms+=("$b")
	printf 'run %d: lockstep plan %6d ms   terraform init+plan+show %6d ms\n' "$i" "$t" "$b"
done

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

ml=$(median "${lockstep_ms[@]}")
mt=$(median "${terraform_ms[@]}")
ratio=$(awk -v a="$ml" -v b="$mt" 'BEGIN { printf "%.3f", a / b }')
verdict=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.05) ? "within the 1.05 budget" : "OVER the 1.05 budget" }')

# One more lockstep run, with Terraform behind a wrapper that logs how long
# each of its commands took: the rest of the run is lockstep's own time, free
# of Terraform's run-to-run noise (which the ratio above carries).
wrapper=$work/terraform-timed
cat >"$wrapper" <<'WRAPPER'
#!/usr/bin/env bash
start=$(date +%s%3N)
"$BENCH_TERRAFORM" "$@"
rc=$?
echo "$(($(date +%s%3N) - start)) $1" >>"$BENCH_TIMES"
exit "$rc"
WRAPPER
chmod +x "$wrapper"
: >"$work/terraform-times"
export BENCH_TERRAFORM=$terraform BENCH_TIMES=$work/terraform-times
run_lockstep_timed() {
	"$work/lockstep" plan --working-directory "$stack" --terraform-path "$wrapper" \
		--summary-file "$work/summary.md" >/dev/null 2>&1
}
total=$(time_ms run_lockstep_timed)
inside=$(awk '{ s += $1 } END { print s }' "$work/terraform-times")
commands=$(awk '{ printf "%s%s %d ms", sep, $2, $1; sep = ", " }' "$work/terraform-times")

echo
echo "resources:                       $resources ($(grep -c '^' "$work/summary.md") summary lines)"
echo "median lockstep plan:            $ml ms"
echo "median terraform init+plan+show: $mt ms"
echo "ratio:                           $ratio ($verdict)"
echo "lockstep's own time, one run:    $((total - inside)) ms of $total ms (terraform $commands)"
