#!/bin/bash
# boot-debian.sh — boot an unmodified Debian kernel under xenner and judge the system checks.
#
#   tests/system/boot-debian.sh XENNER [--flavour cloud|generic] [--vcpus N]
#       [--memory MiB] [--timeout S] [--kernel VMLINUZ] [--initramfs FILE]
#       [--cmdline WORDS] [--xenner-arg ARG]... [--log FILE] [--label NAME]
#       [--no-retry]
#
#   --flavour     which Debian kernel: cloud (default; linux-image-*-cloud-amd64)
#                 or generic (linux-image-*-amd64); names the configuration
#   --vcpus       guest vCPUs (default 1); --memory guest MiB (default 512)
#   --timeout     wall-clock limit for one boot in seconds (default 180)
#   --kernel      use this vmlinuz instead of fetching the flavour's kernel with
#                 tests/system/fetch-kernels.sh (the test VM has no apt)
#   --initramfs   use this initramfs instead of building one with
#                 tests/system/mkinitramfs.sh (the test VM has no gcc)
#   --cmdline     more kernel command-line words (e.g. "loglevel=7"); a
#                 later xenner.test.* word overrides an earlier one
#   --xenner-arg  one more argument for XENNER (e.g. --shuffle-frames=1);
#                 repeatable
#   --log FILE    also save the guest console (xenner's stdout) there
#   --label NAME  name the results NAME/<check> instead of system/CFG/<check>
#   --no-retry    a timed-out boot is a failure at once (default: retry once)
#
# Runs XENNER --kernel VMLINUZ --ramdisk INITRAMFS --memory M --vcpus N
# --extra "console=hvc0 quiet xenner.test.vcpus=N xenner.test.mem=M
# xenner.test.hosttime=<now> ..." (see tests/system/init.sh for what the guest
# checks) and prints, for configuration CFG = <flavour>-<N>vcpu:
#
#   PASS|FAIL: system/CFG/boot           the guest's /init started
#   PASS|FAIL|SKIP: system/CFG/<check>   each in-guest check, re-emitted (SKIP:
#                                        one the host cannot pass, with why)
#   PASS|FAIL: system/CFG/poweroff       init finished its checks and the
#                                        guest powered off: xenner exit 0
#   PASS|FAIL: system/CFG/integrity      xenner's --check-integrity at exit
#   PASS|FAIL: system/CFG/clock-vs-host  the guest clock at init start and
#                                        end lies within the host's launch..exit
#
# A boot that never reaches init is one FAIL (boot), not one per check. Any
# FAIL prints the whole console log and xenner's stderr. A boot that hits the
# timeout is retried once (the nested test VM stalls now and then; see
# docs: design.md, "Hosts"), and says so; a second timeout is a failure.
# Exit status: 0 if everything passed, 1 if anything failed, 3 if it failed
# because the (last) boot timed out, 2 on bad usage.
#
# Runs on the host (bash, GNU tools) and inside the test VM (bash added by
# tests/system/run-all.sh, busybox tools): use only options busybox has too.
# FETCH_KERNELS=CMD replaces tests/system/fetch-kernels.sh (for testing).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# The in-guest checks that must be in the guest's plan (init.sh may add more).
REQUIRED_CHECKS="cmdline clock-start cpus memory fork-exec mem-64m pipe-pingpong cpus-run-user clock-advance kernel-log"
# Time xenner gets to exit after the guest printed its last line.
EXIT_GRACE_S=15
# Slack of the host-side clock check: the guest's wallclock may be truncated to
# whole seconds (an RTC, a wc_sec without nanoseconds).
CLOCK_SLACK_MS=1000

usage() {
	sed -n '/^#   tests\/system\/boot-debian.sh/,/^#   --no-retry/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
bad_usage() { echo "boot-debian: $*" >&2; exit 2; }
is_uint() { [[ $1 =~ ^[1-9][0-9]{0,5}$ ]]; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

[ $# -ge 1 ] || usage
case $1 in -h|--help) usage ;; esac
XENNER=$1
shift
FLAVOUR=cloud VCPUS=1 MEMORY=512 TIMEOUT=180 KERNEL='' INITRAMFS='' EXTRA_CMDLINE='' LOG='' LABEL='' RETRY=1
XENNER_ARGS=()
while [ $# -gt 0 ]; do
	case $1 in
	--*=*) set -- "${1%%=*}" "${1#*=}" "${@:2}"; continue ;;
	--no-retry) RETRY=0; shift; continue ;;
	-h|--help) usage ;;
	--flavour|--vcpus|--memory|--timeout|--kernel|--initramfs|--cmdline|--log|--label|--xenner-arg) ;;
	*) bad_usage "unknown argument '$1' (see --help)" ;;
	esac
	[ $# -ge 2 ] || bad_usage "option $1 needs a value"
	case $1 in
	--flavour) FLAVOUR=$2 ;;
	--vcpus) VCPUS=$2 ;;
	--memory) MEMORY=$2 ;;
	--timeout) TIMEOUT=$2 ;;
	--kernel) KERNEL=$2 ;;
	--initramfs) INITRAMFS=$2 ;;
	--cmdline) EXTRA_CMDLINE=$2 ;;
	--log) LOG=$2 ;;
	--label) LABEL=$2 ;;
	--xenner-arg) XENNER_ARGS+=("$2") ;;
	esac
	shift 2
done
case $FLAVOUR in cloud|generic) ;; *) bad_usage "--flavour: '$FLAVOUR' is not cloud or generic" ;; esac
is_uint "$VCPUS" || bad_usage "--vcpus: '$VCPUS' is not a CPU count"
is_uint "$MEMORY" || bad_usage "--memory: '$MEMORY' is not a size in MiB"
is_uint "$TIMEOUT" || bad_usage "--timeout: '$TIMEOUT' is not a number of seconds"
if [ ! -f "$XENNER" ] || [ ! -x "$XENNER" ]; then bad_usage "$XENNER: not an executable"; fi
CFG=$FLAVOUR-${VCPUS}vcpu
T=${LABEL:-system/$CFG}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/boot-debian.XXXXXX")
XENNER_PID=
cleanup() {
	local rc=$?
	trap - EXIT
	if [ -n "$XENNER_PID" ]; then
		kill -KILL "$XENNER_PID" 2>/dev/null || true
		wait "$XENNER_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

passed=0 failed=0 show_log=0
pass() { echo "PASS: $T/$1"; passed=$((passed + 1)); }
fail() { local c=$1; shift; echo "FAIL: $T/$c: $*"; failed=$((failed + 1)); show_log=1; }
# A failure before the guest could run: one FAIL line, exit 1.
setup_fail() { echo "FAIL: $T/boot: $*"; exit 1; }

# ---------------------------------------------------------------- inputs
if [ -z "$KERNEL" ]; then
	fetch=${FETCH_KERNELS:-$HERE/fetch-kernels.sh}
	paths=$($fetch 2>"$WORK/fetch.err") ||
		{ sed 's/^/    | /' "$WORK/fetch.err"; setup_fail "fetching the Debian kernels with $fetch failed"; }
	# It prints the cloud and the generic vmlinuz; tell them by file name.
	while IFS= read -r p; do
		p=${p##* }
		case ${p##*/} in
		vmlinuz-*-cloud-amd64) [ "$FLAVOUR" = cloud ] && KERNEL=$p ;;
		vmlinuz-*-amd64) [ "$FLAVOUR" = generic ] && KERNEL=$p ;;
		esac
	done <<<"$paths"
	[ -n "$KERNEL" ] || setup_fail "$fetch printed no $FLAVOUR vmlinuz (it printed: ${paths//$'\n'/ })"
fi
[ -f "$KERNEL" ] || setup_fail "kernel $KERNEL does not exist"
if [ -z "$INITRAMFS" ]; then
	INITRAMFS=$WORK/initramfs.cpio.gz
	"$HERE/mkinitramfs.sh" "$INITRAMFS" 2>"$WORK/mkinitramfs.err" ||
		{ sed 's/^/    | /' "$WORK/mkinitramfs.err"; setup_fail "building the initramfs failed"; }
fi
[ -f "$INITRAMFS" ] || setup_fail "initramfs $INITRAMFS does not exist"

# ---------------------------------------------------------------- one boot
# run_boot ATTEMPT: run xenner once. Sets STATUS (exit status), TIMED_OUT,
# LINGERED (killed after the guest was done), HOST_START_MS, HOST_END_MS.
run_boot() {
	local out=$WORK/console.$1 err=$WORK/stderr.$1 hosttime deadline t done_at=0
	hosttime=$(date +%s)
	HOST_START_MS=$(now_ms)
	local cmdline="console=hvc0 quiet xenner.test.vcpus=$VCPUS xenner.test.mem=$MEMORY xenner.test.hosttime=$hosttime"
	[ -z "$EXTRA_CMDLINE" ] || cmdline+=" $EXTRA_CMDLINE"
	echo "$XENNER --kernel $KERNEL --ramdisk $INITRAMFS --memory $MEMORY --vcpus $VCPUS --extra '$cmdline'${XENNER_ARGS[*]:+ ${XENNER_ARGS[*]}}" > "$WORK/command.$1"
	"$XENNER" --kernel "$KERNEL" --ramdisk "$INITRAMFS" --memory "$MEMORY" --vcpus "$VCPUS" \
		--extra "$cmdline" --check-integrity ${XENNER_ARGS[@]+"${XENNER_ARGS[@]}"} >"$out" 2>"$err" </dev/null &
	XENNER_PID=$!
	deadline=$((HOST_START_MS + TIMEOUT * 1000))
	TIMED_OUT=0 LINGERED=0
	while kill -0 "$XENNER_PID" 2>/dev/null; do
		t=$(now_ms)
		if [ "$t" -ge "$deadline" ]; then
			TIMED_OUT=1
			break
		fi
		if [ "$done_at" = 0 ] && grep -q 'XENNER-INIT-DONE' "$out" 2>/dev/null; then
			done_at=$t
		elif [ "$done_at" != 0 ] && [ $((t - done_at)) -ge $((EXIT_GRACE_S * 1000)) ]; then
			LINGERED=1
			break
		fi
		sleep 0.2
	done
	if [ "$TIMED_OUT" = 1 ] || [ "$LINGERED" = 1 ]; then
		kill -TERM "$XENNER_PID" 2>/dev/null || true
		local tries=50
		while [ $((tries -= 1)) -gt 0 ] && kill -0 "$XENNER_PID" 2>/dev/null; do sleep 0.1; done
		kill -KILL "$XENNER_PID" 2>/dev/null || true
	fi
	STATUS=0
	wait "$XENNER_PID" 2>/dev/null || STATUS=$?
	XENNER_PID=
	HOST_END_MS=$(now_ms)
	# Console text without carriage returns (hvc sends CR LF) or NULs.
	tr -d '\r\000' < "$out" > "$WORK/console"
	cp "$err" "$WORK/stderr"
	cp "$WORK/command.$1" "$WORK/command"
}

print_logs() {
	echo "    --- $T: command"
	sed 's/^/    | /' "$WORK/command"
	echo "    --- $T: guest console (xenner stdout)"
	sed 's/^/    | /' "$WORK/console"
	echo "    --- $T: xenner stderr"
	tr -d '\r\000' < "$WORK/stderr" | sed 's/^/    | /'
	echo "    --- $T: end"
}

attempt=1
run_boot 1
if [ "$TIMED_OUT" = 1 ] && [ "$RETRY" = 1 ]; then
	echo "INFO: $T: no result after the $TIMEOUT s limit (the nested test VM stalls now and then); retrying once. First attempt:"
	print_logs
	attempt=2
	run_boot 2
fi
[ -z "$LOG" ] || cp "$WORK/console" "$LOG" || echo "INFO: $T: could not save the log to $LOG"

# ---------------------------------------------------------------- verdicts
CONSOLE=$WORK/console
how_it_ended() {
	if [ "$TIMED_OUT" = 1 ]; then
		echo "no result within $TIMEOUT s$([ "$attempt" = 1 ] || echo " (second attempt)"); xenner killed"
	elif [ "$LINGERED" = 1 ]; then
		echo "xenner had not exited $EXIT_GRACE_S s after the guest's last line; killed"
	else
		local last
		last=$(grep '^xenner:' "$WORK/stderr" 2>/dev/null | tail -n 1 | tr -d '\r') || true
		echo "xenner exit status $STATUS${last:+ (last message: $last)}"
	fi
}

if ! grep -q 'XENNER-INIT-START' "$CONSOLE"; then
	fail boot "the guest's /init never started: $(how_it_ended)"
	print_logs
	exit $((TIMED_OUT ? 3 : 1))
fi
pass boot

plan=$(sed -n 's/.*XENNER-INIT-PLAN: //p' "$CONSOLE" | head -n 1)
checks=" "
for c in $plan $REQUIRED_CHECKS; do
	[[ $c =~ ^[a-z0-9-]+$ ]] || continue
	case $checks in *" $c "*) ;; *) checks+="$c " ;; esac
done
for c in $checks; do
	n_pass=$(grep -c -e "PASS: system/$c\$" "$CONSOLE" || true)
	why=$(sed -n "s/.*FAIL: system\/$c: //p" "$CONSOLE" | head -n 1)
	n_fail=$(grep -c -e "FAIL: system/$c: " "$CONSOLE" || true)
	skip_why=$(sed -n "s/.*SKIP: system\/$c: //p" "$CONSOLE" | head -n 1)
	if [ "$n_fail" -gt 0 ]; then
		fail "$c" "$why"
	elif [ -n "$skip_why" ] && [ "$n_pass" = 0 ]; then
		echo "SKIP: $T/$c: $skip_why"
	elif [ "$n_pass" = 1 ]; then
		case " $plan " in
		*" $c "*) pass "$c" ;;
		*) fail "$c" "passed, but it is missing from the guest's plan '$plan'" ;;
		esac
	elif [ "$n_pass" -gt 1 ]; then
		fail "$c" "reported $n_pass times"
	else
		case " $plan " in
		*" $c "*) fail "$c" "no verdict: the guest stopped before this check ($(how_it_ended))" ;;
		*) fail "$c" "not in the guest's plan '${plan:-none printed}'" ;;
		esac
	fi
done
# Verdicts for checks outside the plan. (No process substitution: the test
# VM has no /dev/fd.)
grep -e 'FAIL: system/' "$CONSOLE" > "$WORK/fails" || true
while IFS= read -r line; do
	c=${line#*FAIL: system/}
	c=${c%%: *}
	case $checks in *" $c "*) continue ;; esac
	fail "$c" "${line#*FAIL: system/"$c": }"
done < "$WORK/fails"

# poweroff: the guest finished its checks, its summary agrees with the
# verdicts on the console, and xenner reported a clean poweroff.
done_line=$(grep -o -e 'XENNER-INIT-DONE passed=[0-9]* failed=[0-9]*' "$CONSOLE" | head -n 1) || true
if [ -z "$done_line" ]; then
	fail poweroff "no XENNER-INIT-DONE line: $(how_it_ended)"
elif [ "$TIMED_OUT" = 1 ] || [ "$LINGERED" = 1 ] || [ "$STATUS" != 0 ]; then
	fail poweroff "after '$done_line': $(how_it_ended); want exit status 0 (powered off)"
else
	g_passed=${done_line#*passed=}
	g_passed=${g_passed%% *}
	g_failed=${done_line##*failed=}
	n_pass=$(grep -c -e 'PASS: system/' "$CONSOLE" || true)
	n_fail=$(grep -c -e 'FAIL: system/' "$CONSOLE" || true)
	if [ "$g_passed" != "$n_pass" ] || [ "$g_failed" != "$n_fail" ]; then
		fail poweroff "'$done_line' does not match the console's $n_pass PASS and $n_fail FAIL lines"
	else
		pass poweroff
	fi
fi

# integrity: xenner's own check at exit (--check-integrity): the stub
# unchanged, every validated guest page table and descriptor frame giving
# the guest only its own frames.
if [ -z "$done_line" ] || [ "$TIMED_OUT" = 1 ] || [ "$LINGERED" = 1 ]; then
	:       # the boot failed already; nothing was checked at a clean exit
elif grep -q '^xenner: integrity: ok' "$WORK/stderr"; then
	pass integrity
elif grep -q '^xenner: integrity: not applicable' "$WORK/stderr"; then
	echo "SKIP: $T/integrity: $(sed -n 's/^xenner: integrity: not applicable: //p' "$WORK/stderr" | head -n 1)"
else
	fail integrity "$(grep -m1 '^xenner: integrity' "$WORK/stderr" || echo 'no integrity report from xenner')"
fi

# clock-vs-host: the guest's wallclock at init start and end lies within the
# host's launch..exit (CLOCK_SLACK_MS either side): it started right and kept
# pace with the host's clock for the whole run. A guest that stopped early
# reported only its start.
g_start=$(sed -n 's/.*XENNER-INIT-CLOCK start=\([0-9]*\).*/\1/p' "$CONSOLE" | head -n 1)
g_end=$(sed -n 's/.*XENNER-INIT-CLOCK end=\([0-9]*\).*/\1/p' "$CONSOLE" | head -n 1)
lo=$((HOST_START_MS - CLOCK_SLACK_MS)) hi=$((HOST_END_MS + CLOCK_SLACK_MS))
if ! [[ $g_start =~ ^[0-9]{1,18}$ ]]; then
	fail clock-vs-host "the guest did not report its clock at init start"
elif [[ $g_end =~ ^[0-9]{1,18}$ ]]; then
	if [ "$g_start" -lt "$lo" ] || [ "$g_end" -gt "$hi" ] || [ "$g_end" -lt "$g_start" ]; then
		fail clock-vs-host "guest clock went $g_start..$g_end ms; the host's run went $HOST_START_MS..$HOST_END_MS ms (slack $CLOCK_SLACK_MS ms)"
	else
		echo "INFO: $T: launch to init start $((g_start - HOST_START_MS)) ms, init checks $((g_end - g_start)) ms, whole run $((HOST_END_MS - HOST_START_MS)) ms (guest clock)"
		pass clock-vs-host
	fi
elif [ "$g_start" -lt "$lo" ] || [ "$g_start" -gt "$hi" ]; then
	fail clock-vs-host "guest clock at init start $g_start ms; the host's run went $HOST_START_MS..$HOST_END_MS ms (slack $CLOCK_SLACK_MS ms)"
else
	pass clock-vs-host
fi

[ "$show_log" = 0 ] || print_logs
echo "INFO: $T: $passed passed, $failed failed"
[ "$failed" = 0 ] || exit $((TIMED_OUT ? 3 : 1))
