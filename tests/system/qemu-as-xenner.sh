#!/bin/bash
# qemu-as-xenner.sh — a stand-in for xenner that boots the kernel as an ordinary guest in QEMU TCG.
#
#   tests/system/qemu-as-xenner.sh --kernel FILE [--ramdisk FILE] [--extra CMDLINE]
#                                  [--memory MiB] [--vcpus N] [--disk IMAGE]
#
# Takes xenner's options (the ones tests/system/boot-debian.sh uses), boots
# the same Debian kernel and initramfs with qemu-system-x86_64 -accel tcg,
# console=hvc0 turned into console=ttyS0, so that the system tests'
# initramfs, checks and harness can be proven without xenner (see
# tests/system/selftest-qemu.sh). --disk IMAGE adds a raw virtio disk (vda).
# Like xenner: the guest console on stdout, own messages on stderr, exit
# status 0 the guest powered off, 1 set-up error, 2 the kernel panicked,
# 4 QEMU ended another way. SIGTERM stops QEMU.
set -euo pipefail

KERNEL='' RAMDISK='' EXTRA='' MEMORY=128 VCPUS=1 DISK='' INTEGRITY=0
die() { echo "qemu-as-xenner: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case $1 in
	# xenner's check of its stub at exit: there is no stub here, which it says.
	--check-integrity) INTEGRITY=1; shift; continue ;;
	--*=*) set -- "${1%%=*}" "${1#*=}" "${@:2}"; continue ;;
	--kernel|--ramdisk|--extra|--memory|--vcpus|--disk) [ $# -ge 2 ] || die "option $1 needs a value" ;;
	*) die "unknown argument '$1'" ;;
	esac
	case $1 in
	--kernel) KERNEL=$2 ;;
	--ramdisk) RAMDISK=$2 ;;
	--extra) EXTRA=$2 ;;
	--memory) MEMORY=$2 ;;
	--vcpus) VCPUS=$2 ;;
	--disk) DISK=$2 ;;
	esac
	shift 2
done
[ -f "$KERNEL" ] || die "--kernel: '$KERNEL' is not a file"
[ -z "$RAMDISK" ] || [ -f "$RAMDISK" ] || die "--ramdisk: '$RAMDISK' is not a file"
[[ $MEMORY =~ ^[1-9][0-9]*$ ]] || die "--memory: '$MEMORY' is not a size in MiB"
[[ $VCPUS =~ ^[1-9][0-9]*$ ]] || die "--vcpus: '$VCPUS' is not a CPU count"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (Debian package qemu-system-x86)"

cmdline=
for w in $EXTRA; do
	[ "$w" = console=hvc0 ] && w=console=ttyS0
	cmdline+="${cmdline:+ }$w"
done
# panic=-1 with -no-reboot: a panicking kernel ends QEMU at once.
cmdline+=" panic=-1"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/qemu-as-xenner.XXXXXX")
QPID='' TPID=''
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local rc=$?
	trap - EXIT
	[ -z "$QPID" ] || kill -KILL "$QPID" 2>/dev/null || true
	[ -z "$TPID" ] || wait "$TPID" 2>/dev/null || true
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# shellcheck disable=SC2054 # commas inside QEMU option values
args=(-nodefaults -no-user-config -display none -monitor none -no-reboot
	-accel tcg,thread=multi -m "$MEMORY" -smp "$VCPUS"
	-kernel "$KERNEL" -append "$cmdline"
	-chardev "file,id=con,path=$WORK/console" -serial chardev:con)
[ -z "$RAMDISK" ] || args+=(-initrd "$RAMDISK")
[ -z "$DISK" ] || args+=(-drive "file=$DISK,format=raw,if=virtio,cache=unsafe")
: > "$WORK/console"
qemu-system-x86_64 "${args[@]}" </dev/null 2>"$WORK/qemu.err" &
QPID=$!
# Stream the console as it comes, like xenner does.
tail -n +1 -s 0.2 -f --pid="$QPID" "$WORK/console" &
TPID=$!
status=0
wait "$QPID" || status=$?
QPID=
wait "$TPID" || true
TPID=
if [ "$status" != 0 ]; then
	sed 's/^/qemu-as-xenner: qemu: /' "$WORK/qemu.err" >&2
	echo "qemu-as-xenner: QEMU exited with status $status" >&2
	exit 4
fi
if grep -q 'Kernel panic' "$WORK/console"; then
	echo "qemu-as-xenner: the guest kernel panicked" >&2
	exit 2
fi
if ! grep -q 'reboot: Power down' "$WORK/console"; then
	echo "qemu-as-xenner: QEMU ended without the guest powering off" >&2
	exit 4
fi
[ "$INTEGRITY" = 0 ] ||
	echo "xenner: integrity: not applicable: qemu-as-xenner ran the kernel as an ordinary guest, with no stub to check" >&2
exit 0
