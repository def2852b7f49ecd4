#!/bin/bash
# disk-tests.sh — an ext4 xvda under xenner: data written, read back, read-only, and safe across SIGKILL.
#
#   tests/system/disk-tests.sh XENNER [--timeout S]
#
# The host makes a 64 MiB ext4 image with `mke2fs -d` holding /seed (files
# and their SHA256SUMS); then Debian's cloud kernel boots under xenner with
# the image as xvda (the initramfs of tests/system/mkinitramfs.sh with the
# block frontend modules; the guest side is init.sh's xenner.test.fs=MODE):
#
#   disk/write            the guest verifies /seed, writes /new files with
#                         their sums, syncs, unmounts, powers off
#   disk/fsck-after-write e2fsck -fn finds the image clean
#   disk/host-checksums   the /new files, read out of the image with debugfs,
#                         have the sums the guest printed on its console
#   disk/read             a second boot reads every file back, through a loop
#                         device on the image (a block device target)
#   disk/read-only        with the disk given read-only (`...,xvda,r`) the
#                         guest cannot write it and reads it...
#   disk/ro-unchanged     ...and the image is byte for byte unchanged
#   disk/crash-fsync      the guest writes /crash.bin, fsyncs it and its
#                         directory and says so; xenner is killed with SIGKILL
#                         at that moment
#   disk/crash-fsck       after replaying the journal (e2fsck -E journal_only),
#                         e2fsck -fn finds the image clean
#   disk/crash-data       /crash.bin has the sum the guest printed
#
# Directly if tests/vm/host-kind says vmx or svm, else inside one faithful-KVM
# test VM (tests/vm/xvm; the image lives in its memory, e2fsck and debugfs are
# copied in). Each boot has the --timeout limit (default 180 s); a failure
# prints the guest console. Exit status 0 if all passed, else 1.
#
#   (inside the VM: disk-tests.sh --steps XENNER VMLINUZ INITRAMFS IMAGE TIMEOUT)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

pass() { echo "PASS: disk/$1"; }
fail() { echo "FAIL: disk/$1: $2"; FAILED=1; }
FAILED=0

# boot MODE SPEC LOG [EXTRA_XENNER_ARG]: one xenner run; its exit status.
boot() {
	local mode=$1 spec=$2 log=$3
	local rc=0
	timeout -s KILL "$TIMEOUT" "$XENNER" --kernel "$KERNEL" --ramdisk "$INITRAMFS" --memory 256 \
		--disk "$spec" --extra "console=hvc0 quiet xenner.test.fs=$mode" >"$log" 2>&1 || rc=$?
	return "$rc"
}

show() {
	echo "    --- console and xenner's stderr ($1) ---"
	sed 's/^/    | /' "$2"
}

# judge CHECK MODE LOG RC: the guest's fs-MODE check passed and xenner exited 0.
judge() {
	local check=$1 mode=$2 log=$3 rc=$4
	if [ "$rc" = 0 ] && grep -q "^PASS: system/fs-$mode" "$log" &&
		grep -q '^XENNER-INIT-DONE passed=[0-9]* failed=0' "$log"; then
		pass "$check"
		return 0
	fi
	local why
	why=$(grep -m1 '^FAIL: ' "$log" || true)
	fail "$check" "${why:-xenner exited $rc without a passing fs-$mode}"
	show "$check" "$log"
	return 1
}

# debugfs_cat IMAGE PATH: a file's contents out of an ext4 image.
debugfs_cat() {
	debugfs -R "cat $2" "$1" 2>/dev/null
}

steps() {
	local work img=$IMAGE rc
	work=$(dirname "$IMAGE")
	export E2FSCK_CONFIG="$work/e2fsck.conf"
	# The VM's clock and the guest's may disagree with the image's times.
	printf '[options]\n\tbroken_system_clock = 1\n' >"$E2FSCK_CONFIG"

	rc=0; boot write "$img,xvda,w" "$work/write.log" || rc=$?
	judge write write "$work/write.log" "$rc" || return 0
	if e2fsck -fn "$img" >"$work/fsck1.log" 2>&1; then
		pass fsck-after-write
	else
		fail fsck-after-write "e2fsck -fn found problems"
		sed 's/^/    | /' "$work/fsck1.log"
	fi
	local bad=0 line sum name got
	# (no process substitution: the test VM has no /dev/fd)
	sed -n 's/^INFO: system\/fs-write: wrote //p' "$work/write.log" | tr -d '\r' >"$work/sums"
	while read -r line; do
		sum=${line%% *} name=${line##* }
		got=$(debugfs_cat "$img" "/new/$name" | sha256sum)
		got=${got%% *}
		[ "$got" = "$sum" ] || { bad=1; echo "    /new/$name: image has $got, the guest wrote $sum"; }
	done <"$work/sums"
	if [ "$(grep -c '^INFO: system/fs-write: wrote ' "$work/write.log")" != 3 ]; then
		fail host-checksums "the guest did not print 3 sums"
	elif [ "$bad" = 0 ]; then
		pass host-checksums
	else
		fail host-checksums "files in the image differ from what the guest wrote"
	fi

	# The second boot reads through a block device (a loop device on the
	# image): blkback's BLKGETSIZE64/BLKSSZGET and O_DIRECT path.
	local loopdev
	# (losetup -f then losetup DEV FILE: busybox's losetup has no --show)
	loopdev=$(losetup -f 2>"$work/losetup.err") && losetup "$loopdev" "$img" 2>>"$work/losetup.err" ||
		loopdev=
	if [ -n "$loopdev" ] && [ -b "$loopdev" ]; then
		rc=0; boot read "phy:$loopdev,xvda,w" "$work/read.log" || rc=$?
		losetup -d "$loopdev" || true
		judge read read "$work/read.log" "$rc" && echo "INFO: disk/read: through block device $loopdev"
	else
		echo "INFO: disk/read: no loop device ($(head -c 200 "$work/losetup.err")): reading the image file"
		rc=0; boot read "$img,xvda,w" "$work/read.log" || rc=$?
		judge read read "$work/read.log" "$rc" || true
	fi

	local before after
	before=$(sha256sum <"$img")
	rc=0; boot ro "$img,xvda,r" "$work/ro.log" || rc=$?
	judge read-only ro "$work/ro.log" "$rc" || true
	after=$(sha256sum <"$img")
	if [ "$before" = "$after" ]; then pass ro-unchanged; else fail ro-unchanged "the image changed"; fi

	# Crash: kill -9 xenner the moment the guest says its fsync returned.
	"$XENNER" --kernel "$KERNEL" --ramdisk "$INITRAMFS" --memory 256 --disk "$img,xvda,w" \
		--extra "console=hvc0 quiet xenner.test.fs=crash" >"$work/crash.log" 2>&1 &
	local pid=$! waited=0
	while ! grep -q '^XENNER-FSYNC-DONE ' "$work/crash.log" && kill -0 "$pid" 2>/dev/null &&
		[ "$waited" -lt "$((TIMEOUT * 10))" ]; do
		sleep 0.1
		waited=$((waited + 1))
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	local want
	want=$(sed -n 's/^XENNER-FSYNC-DONE \([0-9a-f]\{64\}\).*/\1/p' "$work/crash.log" | head -n 1)
	if [ -z "$want" ]; then
		fail crash-fsync "the guest never reported its fsync"
		show crash-fsync "$work/crash.log"
		return 0
	fi
	pass crash-fsync
	e2fsck -E journal_only -y "$img" >"$work/fsck2.log" 2>&1 || true
	if e2fsck -fn "$img" >>"$work/fsck2.log" 2>&1; then
		pass crash-fsck
	else
		fail crash-fsck "e2fsck -fn found problems after the journal replay"
		sed 's/^/    | /' "$work/fsck2.log"
	fi
	got=$(debugfs_cat "$img" /crash.bin | sha256sum)
	got=${got%% *}
	if [ "$got" = "$want" ]; then
		pass crash-data
	else
		fail crash-data "/crash.bin in the image has sum $got, the guest fsync'd $want"
	fi
}

if [ "${1:-}" = --steps ]; then
	[ $# = 6 ] || { echo "usage: $0 --steps XENNER VMLINUZ INITRAMFS IMAGE TIMEOUT" >&2; exit 2; }
	XENNER=$2 KERNEL=$3 INITRAMFS=$4 IMAGE=$5 TIMEOUT=$6
	steps
	exit "$FAILED"
fi

[ $# -ge 1 ] || { sed -n 's/^#   \(tests\/system\/disk-tests.sh .*\)/usage: \1/p' "$0" >&2; exit 2; }
XENNER=$1
shift
TIMEOUT=180
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) [ $# -ge 2 ] || { echo "disk-tests: --timeout needs a value" >&2; exit 2; }
		TIMEOUT=$2; shift 2 ;;
	*) echo "disk-tests: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[[ $TIMEOUT =~ ^[1-9][0-9]{0,4}$ ]] || { echo "disk-tests: --timeout: '$TIMEOUT' is not a number of seconds" >&2; exit 2; }
[ -x "$XENNER" ] || { echo "FAIL: disk/setup: $XENNER is not an executable"; exit 1; }
for tool in mke2fs e2fsck debugfs; do
	command -v "$tool" >/dev/null || { echo "FAIL: disk/setup: $tool not found (Debian package e2fsprogs; ./configure installs it)"; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/disk-tests.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fetch=${FETCH_KERNELS:-$HERE/fetch-kernels.sh}
paths=$($fetch 2>"$WORK/fetch.err") ||
	{ sed 's/^/    | /' "$WORK/fetch.err"; echo "FAIL: disk/setup: fetching the Debian kernels failed"; exit 1; }
CLOUD=${paths%%$'\n'*}
[ -f "$CLOUD" ] || { echo "FAIL: disk/setup: $fetch printed no cloud vmlinuz"; exit 1; }
KROOT=$(cd "$(dirname "$CLOUD")/.." && pwd)
"$HERE/mkinitramfs.sh" "$WORK/initramfs.cpio.gz" --modules "$KROOT" 2>"$WORK/mkinitramfs.err" ||
	{ sed 's/^/    | /' "$WORK/mkinitramfs.err"; echo "FAIL: disk/setup: building the initramfs failed"; exit 1; }

# The seed: a small text file, 2 MiB of random data, their sums.
mkdir -p "$WORK/root/seed"
echo "xenner disk test seed" >"$WORK/root/seed/hello.txt"
head -c $((2 << 20)) /dev/urandom >"$WORK/root/seed/random.bin"
(cd "$WORK/root/seed" && sha256sum hello.txt random.bin >SHA256SUMS)
mke2fs -q -F -t ext4 -L xenner-test -d "$WORK/root" "$WORK/disk.img" 64M >"$WORK/mke2fs.log" 2>&1 ||
	{ sed 's/^/    | /' "$WORK/mke2fs.log"; echo "FAIL: disk/setup: mke2fs failed"; exit 1; }

kind=$("$ROOT/tests/vm/host-kind")
if [ "$kind" = vmx ] || [ "$kind" = svm ]; then
	mkdir -p "$WORK/run"
	cp "$WORK/disk.img" "$WORK/run/disk.img"
	XENNER=$XENNER KERNEL=$CLOUD INITRAMFS=$WORK/initramfs.cpio.gz IMAGE=$WORK/run/disk.img
	steps
	exit "$FAILED"
fi

echo "INFO: disk: host KVM is '$kind': running the disk tests inside the faithful-KVM test VM (tests/vm/xvm)"
rc=0
"$ROOT/tests/vm/xvm" --timeout $((5 * TIMEOUT + 120)) --memory 2048 --smp 2 --module loop \
	--add "$XENNER:/xvm/xenner" --add "$(command -v bash):/bin/bash" \
	--add "$(command -v e2fsck):/bin/e2fsck" --add "$(command -v debugfs):/bin/debugfs" \
	--add "$HERE/disk-tests.sh:/xvm/system/disk-tests.sh" \
	--add "$CLOUD:/xvm/kernels/vmlinuz-cloud" --add "$WORK/initramfs.cpio.gz:/xvm/initramfs.cpio.gz" \
	--add "$WORK/disk.img:/xvm/disk/disk.img" -- \
	bash /xvm/system/disk-tests.sh --steps /xvm/xenner /xvm/kernels/vmlinuz-cloud \
	/xvm/initramfs.cpio.gz /xvm/disk/disk.img "$TIMEOUT" || rc=$?
case $rc in
0|1) ;;
124) echo "FAIL: disk/vm: the test VM ran out of its time limit" ;;
125) echo "FAIL: disk/vm: the test VM harness failed (see its xvm: message above)" ;;
*) echo "FAIL: disk/vm: the tests in the VM ended with status $rc" ;;
esac
exit "$rc"
