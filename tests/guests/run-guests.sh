#!/bin/sh
# run-guests.sh — boot every test guest under xenner, in both modes, and judge it.
#
# usage: run-guests.sh XENNER GUEST_DIR [FILTER]
#   GUEST_DIR holds pv64/<name> and pv32/<name> (build/guests).
#   FILTER is a shell pattern matched against "<mode>/<name>" (e.g. "pv32/*",
#   "*traps"); default: all.
# Prints "PASS: guest/<mode>/<name>" or "FAIL: guest/<mode>/<name>: <why>" and
# the captured console for failures; exits 1 if anything failed.
# POSIX sh: it also runs under busybox ash inside the test VM.

TIMEOUT=60

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 XENNER GUEST_DIR [FILTER]" >&2
	exit 2
fi
XENNER=$1
GUEST_DIR=$2
FILTER=${3:-*}

if [ ! -x "$XENNER" ]; then
	echo "$0: $XENNER: not an executable" >&2
	exit 2
fi

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

passed=0
failed=0

# What a guest must do: exit status and a line its console must contain.
expect() {
	case $1 in
	crash)	want_status=2; want_line="crash test: crashing on purpose" ;;
	*)	want_status=0; want_line="VERDICT: PASS $1" ;;
	esac
}

# run_once KERNEL OUT: sets status; 124 (GNU) or 143/137 (busybox: the
# command itself is killed) mean the timeout fired.
run_once() {
	timeout "$TIMEOUT" "$XENNER" --kernel "$1" >"$2" 2>&1 </dev/null
	status=$?
}

timed_out() {
	[ "$1" -eq 124 ] || [ "$1" -eq 137 ] || [ "$1" -eq 143 ]
}

report_fail() {
	echo "FAIL: guest/$1: $2"
	sed 's/^/    | /' "$3"
	failed=$((failed + 1))
}

run_guest() {
	id=$1 kernel=$2 name=${1#*/}
	out=$tmp/out
	expect "$name"

	run_once "$kernel" "$out"
	if timed_out "$status"; then
		echo "TIMEOUT: guest/$id after ${TIMEOUT}s (status $status), retrying once"
		sed 's/^/    | /' "$out"
		run_once "$kernel" "$out"
		if timed_out "$status"; then
			report_fail "$id" "timed out twice (${TIMEOUT}s each)" "$out"
			return
		fi
		echo "RETRY: guest/$id finished on the second attempt"
	fi

	if [ "$status" -ne "$want_status" ]; then
		report_fail "$id" "exit status $status, want $want_status" "$out"
	elif ! grep -F -q -- "$want_line" "$out"; then
		verdict=$(grep -F "VERDICT:" "$out" | head -n 1)
		report_fail "$id" "no \"$want_line\" in the output${verdict:+ ($verdict)}" "$out"
	elif [ "$name" = crash ] && grep -F -q "VERDICT:" "$out"; then
		report_fail "$id" "printed a verdict after asking to crash" "$out"
	else
		echo "PASS: guest/$id"
		passed=$((passed + 1))
	fi
}

for mode in pv64 pv32; do
	if [ ! -d "$GUEST_DIR/$mode" ]; then
		echo "FAIL: guest/$mode: no directory $GUEST_DIR/$mode"
		failed=$((failed + 1))
		continue
	fi
	for kernel in "$GUEST_DIR/$mode"/*; do
		# Guests are the executable files; skip obj/ and guest.lds.
		[ -f "$kernel" ] && [ -x "$kernel" ] || continue
		id=$mode/${kernel##*/}
		case $id in
		$FILTER) run_guest "$id" "$kernel" ;;
		esac
	done
done

echo "guests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
