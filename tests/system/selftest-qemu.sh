#!/bin/bash
# selftest-qemu.sh — prove the system tests' initramfs, checks and harness without xenner.
#
#   tests/system/selftest-qemu.sh
#
# Boots Debian's kernels with the system-test initramfs as ordinary guests in
# QEMU TCG (tests/system/qemu-as-xenner.sh stands in for xenner, so
# tests/system/boot-debian.sh is exercised too) and shows that the checks
# pass where they should and fail where they must:
#
#   qemu-cloud-2vcpu/*, qemu-generic-1vcpu/*  correct expectations: every
#       check passes (boot-debian.sh's lines, under this label)
#   wrong-values/*    valid but wrong expectations (3 vCPUs, 100 MiB, a host
#       clock in 2001): exactly the checks that test them fail
#   hostile-values/*  garbage in every xenner.test.* value: those checks fail,
#       the rest still pass, /init never hits a shell error and still powers off
#   disk/*            the disk check against a QEMU virtio disk (the initramfs
#       with the kernel's block modules); the pattern is on the image afterwards
#   shell             xenner.test.shell=1 gives a working shell on the console
#
# Prints "PASS|FAIL|SKIP: system-selftest/..." lines; exit status 0 if nothing
# failed. Needs qemu-system-x86; takes about a minute (each boot ~8 s).
# FETCH_KERNELS=CMD replaces tests/system/fetch-kernels.sh (for testing).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
P=system-selftest
BOOT_TIMEOUT=240
SHELL_TIMEOUT=120

passed=0 failed=0
pass() { echo "PASS: $P/$1"; passed=$((passed + 1)); }
fail() { local c=$1; shift; echo "FAIL: $P/$c: $*"; failed=$((failed + 1)); }
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/system-selftest.XXXXXX")
QPID=
cleanup() {
	local rc=$?
	trap - EXIT
	if [ -n "$QPID" ]; then
		kill -KILL "$QPID" 2>/dev/null || true
		wait "$QPID" 2>/dev/null || true
	fi
	exec 3>&- 2>/dev/null || true
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "SKIP: $P: qemu-system-x86_64 not found (Debian package qemu-system-x86)"
	exit 0
fi

# ---------------------------------------------------------------- inputs
fetch=${FETCH_KERNELS:-$HERE/fetch-kernels.sh}
if ! paths=$($fetch 2>"$WORK/fetch.err"); then
	sed 's/^/    | /' "$WORK/fetch.err"
	fail setup "fetching the Debian kernels with $fetch failed"
	exit 1
fi
CLOUD='' GENERIC=''
while IFS= read -r p; do
	p=${p##* }
	case ${p##*/} in
	vmlinuz-*-cloud-amd64) CLOUD=$p ;;
	vmlinuz-*-amd64) GENERIC=$p ;;
	esac
done <<<"$paths"
if [ ! -f "$CLOUD" ] || [ ! -f "$GENERIC" ]; then
	fail setup "$fetch did not print an existing cloud and generic vmlinuz (it printed: ${paths//$'\n'/ })"
	exit 1
fi
INITRAMFS=$WORK/initramfs.cpio.gz
if ! "$HERE/mkinitramfs.sh" "$INITRAMFS" 2>"$WORK/mk.err"; then
	sed 's/^/    | /' "$WORK/mk.err"
	fail setup "building the initramfs failed"
	exit 1
fi

BOOT=("$HERE/boot-debian.sh" "$HERE/qemu-as-xenner.sh" --timeout "$BOOT_TIMEOUT" --no-retry)

# ---------------------------------------------------------------- good runs
# boot-debian.sh's own lines are the verdicts here.
good_run() {
	local label=$1 flavour=$2 vcpus=$3 kernel t0 rc=0
	kernel=$CLOUD
	[ "$flavour" = cloud ] || kernel=$GENERIC
	t0=$(now_ms)
	"${BOOT[@]}" --flavour "$flavour" --vcpus "$vcpus" --kernel "$kernel" --initramfs "$INITRAMFS" \
		--label "$P/$label" > "$WORK/$label.out" 2>&1 || rc=$?
	cat "$WORK/$label.out"
	passed=$((passed + $(grep -c '^PASS: ' "$WORK/$label.out" || true)))
	failed=$((failed + $(grep -c '^FAIL: ' "$WORK/$label.out" || true)))
	if [ "$rc" != 0 ] && ! grep -q '^FAIL: ' "$WORK/$label.out"; then
		fail "$label" "boot-debian.sh exited with status $rc without a FAIL line"
	fi
	echo "INFO: $P/$label: $(( ($(now_ms) - t0) / 100 ))00 ms for the whole boot-debian.sh run"
}

# ---------------------------------------------------------------- bad runs
# expect_run NAME "CHECKS THAT MUST FAIL" "CHECKS THAT MUST PASS" BOOT-DEBIAN ARGS...
# boot-debian.sh's output is evidence here, not verdicts: it is shown
# (indented) only when an expectation is not met.
expect_run() {
	local name=$1 want_fail=$2 want_pass=$3 c ok=1 out
	shift 3
	out=$WORK/$name.out
	"${BOOT[@]}" --label "inner/$name" --log "$WORK/$name.console" "$@" > "$out" 2>&1 || true
	for c in $want_fail; do
		if grep -q "^FAIL: inner/$name/$c: " "$out"; then
			pass "$name/$c"
		else
			fail "$name/$c" "want FAIL, got: $(grep -m1 -e "^[A-Z]*: inner/$name/$c\\b" "$out" || echo nothing)"
			ok=0
		fi
	done
	for c in $want_pass; do
		if grep -q "^PASS: inner/$name/$c\$" "$out"; then
			pass "$name/$c"
		else
			fail "$name/$c" "want PASS, got: $(grep -m1 -e "^[A-Z]*: inner/$name/$c\\b" "$out" || echo nothing)"
			ok=0
		fi
	done
	# The guest's /init must not have stumbled over the values itself
	# (busybox sh reports errors as "/init: line N: ...").
	if grep -q -e '^/init: ' -e 'sh: .*: not found' -e 'syntax error' -e 'arithmetic' \
		"$WORK/$name.console" 2>/dev/null; then
		fail "$name/no-shell-errors" "the guest's /init reported shell errors: $(grep -m3 -e '^/init: ' -e 'syntax error' -e 'arithmetic' "$WORK/$name.console" | tr '\n' '|')"
		ok=0
	else
		pass "$name/no-shell-errors"
	fi
	[ "$ok" = 1 ] || sed 's/^/    > /' "$out"
}

# ---------------------------------------------------------------- shell mode
# Boot with xenner.test.shell=1, wait for the prompt, run a command, exit.
shell_run() {
	local log=$WORK/shell.log deadline state=prompt cat_pid
	# QEMU's pipe chardev reads PATH.in (to the guest), writes PATH.out.
	mkfifo "$WORK/shell.in" "$WORK/shell.out"
	: > "$log"
	qemu-system-x86_64 -nodefaults -no-user-config -display none -monitor none -no-reboot \
		-accel tcg,thread=multi -m 256 -smp 1 -kernel "$CLOUD" -initrd "$INITRAMFS" \
		-append "console=ttyS0 quiet panic=-1 xenner.test.shell=1" \
		-chardev "pipe,id=con,path=$WORK/shell" -serial chardev:con \
		</dev/null >/dev/null 2>"$WORK/shell.err" &
	QPID=$!
	# Read-write opens of a FIFO do not wait for the other end.
	exec 3<>"$WORK/shell.in"
	cat "$WORK/shell.out" >> "$log" &
	cat_pid=$!
	deadline=$(( $(now_ms) + SHELL_TIMEOUT * 1000 ))
	while kill -0 "$QPID" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do
		case $state in
		prompt)
			if grep -q 'xenner-guest:' "$log"; then
				# shellcheck disable=SC2016 # the guest's shell expands it
				printf 'echo SHELL-WORKS-$((6 * 7))\n' >&3
				state=answer
			fi ;;
		answer)
			if grep -q 'SHELL-WORKS-42' "$log"; then
				printf 'exit\n' >&3
				state=finished
			fi ;;
		esac
		sleep 0.2
	done
	kill -KILL "$QPID" 2>/dev/null || true
	wait "$QPID" 2>/dev/null || true
	QPID=
	exec 3>&-
	# cat ends when QEMU, the FIFO's only writer, is gone.
	wait "$cat_pid" 2>/dev/null || true
	if [ "$state" = finished ] && grep -q 'reboot: Power down' "$log"; then
		pass shell
	else
		fail shell "stuck at the '$state' step (limit $SHELL_TIMEOUT s); console:"
		tr -d '\r' < "$log" | sed 's/^/    | /'
		sed 's/^/    qemu: /' "$WORK/shell.err"
	fi
}

good_run qemu-cloud-2vcpu cloud 2
good_run qemu-generic-1vcpu generic 1

expect_run wrong-values "clock-start cpus memory cpus-run-user" \
	"boot cmdline fork-exec mem-64m pipe-pingpong clock-advance kernel-log poweroff clock-vs-host" \
	--flavour cloud --vcpus 2 --kernel "$CLOUD" --initramfs "$INITRAMFS" \
	--cmdline "xenner.test.vcpus=3 xenner.test.mem=100 xenner.test.hosttime=1000000000"

# shellcheck disable=SC2016 # literal $(...) for the guest to reject
expect_run hostile-values "cmdline clock-start cpus memory cpus-run-user" \
	"boot fork-exec mem-64m pipe-pingpong clock-advance kernel-log poweroff clock-vs-host" \
	--flavour cloud --vcpus 1 --kernel "$CLOUD" --initramfs "$INITRAMFS" \
	--cmdline 'xenner.test.vcpus=$(poweroff) xenner.test.mem=08 xenner.test.hosttime=-5 xenner.test.timetol=1e9 xenner.test.disk=../sda xenner.test.shell=yes xenner.test.nosuch=1 xenner.test.vcpus=99999999999999999999 xenner.test.mem=*'

# The disk check needs the kernel's own block modules: from the unpacked
# package that the vmlinuz came from (KROOT/boot/vmlinuz-*).
KROOT=$(dirname "$(dirname "$CLOUD")")
if [ -d "$KROOT/lib/modules" ]; then
	if "$HERE/mkinitramfs.sh" "$WORK/disk.cpio.gz" --disk=vda --modules "$KROOT" 2>"$WORK/mk.err"; then
		truncate -s 64M "$WORK/disk.img"
		expect_run disk "" \
			"boot cmdline clock-start cpus memory fork-exec mem-64m pipe-pingpong cpus-run-user clock-advance disk kernel-log poweroff clock-vs-host" \
			--flavour cloud --vcpus 1 --kernel "$CLOUD" --initramfs "$WORK/disk.cpio.gz" \
			--xenner-arg "--disk=$WORK/disk.img"
		if [ "$(od -An -N8 -tx8 "$WORK/disk.img" | tr -d ' ')" != 0000000000000000 ]; then
			pass disk/written-to-image
		else
			fail disk/written-to-image "the disk image's first bytes are still zero"
		fi
	else
		sed 's/^/    | /' "$WORK/mk.err"
		fail disk "building the initramfs with block modules from $KROOT failed"
	fi
else
	echo "SKIP: $P/disk: no $KROOT/lib/modules next to $CLOUD (the disk check needs the kernel's block modules)"
fi

shell_run

echo "INFO: $P: $passed passed, $failed failed"
[ "$failed" = 0 ]
