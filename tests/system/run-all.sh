#!/bin/bash
# run-all.sh — the system tests: Debian's cloud and generic kernels, 1 and 2 vCPUs, under xenner.
#
#   tests/system/run-all.sh XENNER [--timeout S] [--only "cloud-1 ..."] [--skip-reason TEXT]
#
# Fetches both kernels (tests/system/fetch-kernels.sh) and builds the
# initramfs (tests/system/mkinitramfs.sh) once, on this host, then runs
# tests/system/boot-debian.sh for cloud-1vcpu, cloud-2vcpu, generic-1vcpu and
# generic-2vcpu (512 MiB guests): directly if tests/vm/host-kind says vmx or
# svm, otherwise all four inside ONE faithful-KVM test VM (tests/vm/xvm, 2048
# MiB, 2 CPUs), so that the VM boots once. Prints boot-debian.sh's
# "PASS|FAIL: system/<flavour>-<n>vcpu/<check>" lines; exit status 0 if all
# passed, else 1 (or xvm's 124/125 when the test VM itself failed, with one
# FAIL line saying so).
#
#   --timeout S  limit for one boot (default 180 s; a guest takes ~30 s in
#                the test VM). A boot that times out is retried once; after a
#                configuration has timed out twice, the others get no retry.
#
#   (inside the VM: run-all.sh --configs XENNER CLOUD_VMLINUZ GENERIC_VMLINUZ
#   INITRAMFS TIMEOUT runs the four boots; that is how the VM is driven.)
# FETCH_KERNELS=CMD replaces tests/system/fetch-kernels.sh (for testing).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MEMORY=512
VM_MEMORY=2048
VM_SMP=2

die() { echo "FAIL: system/setup: $*"; exit 1; }

# run_configs XENNER CLOUD GENERIC INITRAMFS TIMEOUT CONFIGS: the boots, here.
# CONFIGS: space-separated flavour-vcpus pairs, e.g. "cloud-1 generic-2".
run_configs() {
	local xenner=$1 cloud=$2 generic=$3 initramfs=$4 timeout=$5 configs=$6
	local flavour kernel n rc failed=0 retry=() c
	for c in $configs; do
		flavour=${c%-*} n=${c#*-}
		kernel=$cloud
		[ "$flavour" = cloud ] || kernel=$generic
		{
			rc=0
			bash "$HERE/boot-debian.sh" "$xenner" --flavour "$flavour" --vcpus "$n" \
				--memory "$MEMORY" --timeout "$timeout" --kernel "$kernel" \
				--initramfs "$initramfs" ${retry[@]+"${retry[@]}"} || rc=$?
			[ "$rc" = 0 ] || failed=1
			# Two timeouts in a row: xenner hangs, this is no stall; do
			# not spend two limits on each remaining configuration.
			[ "$rc" != 3 ] || retry=(--no-retry)
		}
	done
	return "$failed"
}

if [ "${1:-}" = --configs ]; then
	[ $# = 7 ] || { echo "usage: $0 --configs XENNER CLOUD GENERIC INITRAMFS TIMEOUT CONFIGS" >&2; exit 2; }
	shift
	run_configs "$@"
	exit
fi

[ $# -ge 1 ] || { sed -n 's/^#   \(tests\/system\/run-all.sh .*\)/usage: \1/p' "$0" >&2; exit 2; }
XENNER=$1
shift
TIMEOUT=180
ALL_CONFIGS="cloud-1 cloud-2 generic-1 generic-2"
ONLY=$ALL_CONFIGS
SKIP_REASON=""
while [ $# -gt 0 ]; do
	case $1 in
	--only) [ $# -ge 2 ] || { echo "run-all: --only needs a list" >&2; exit 2; }
		ONLY=$2; shift 2 ;;
	--skip-reason) [ $# -ge 2 ] || { echo "run-all: --skip-reason needs a text" >&2; exit 2; }
		SKIP_REASON=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || { echo "run-all: --timeout needs a value" >&2; exit 2; }
		TIMEOUT=$2; shift 2 ;;
	--timeout=*) TIMEOUT=${1#*=}; shift ;;
	*) echo "run-all: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[[ $TIMEOUT =~ ^[1-9][0-9]{0,4}$ ]] || { echo "run-all: --timeout: '$TIMEOUT' is not a number of seconds" >&2; exit 2; }
if [ ! -f "$XENNER" ] || [ ! -x "$XENNER" ]; then die "$XENNER is not an executable"; fi
for c in $ONLY; do
	[[ " $ALL_CONFIGS " == *" $c "* ]] || { echo "run-all: --only: unknown configuration '$c'" >&2; exit 2; }
done
# Configurations left out are counted and say why: never a silent skip.
for c in $ALL_CONFIGS; do
	[[ " $ONLY " == *" $c "* ]] || echo "SKIP: system/${c%-*}-${c#*-}vcpu: ${SKIP_REASON:-not selected (--only)}"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/system-tests.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fetch=${FETCH_KERNELS:-$HERE/fetch-kernels.sh}
paths=$($fetch 2>"$WORK/fetch.err") ||
	{ sed 's/^/    | /' "$WORK/fetch.err"; die "fetching the Debian kernels with $fetch failed"; }
CLOUD='' GENERIC=''
while IFS= read -r p; do
	p=${p##* }
	case ${p##*/} in
	vmlinuz-*-cloud-amd64) CLOUD=$p ;;
	vmlinuz-*-amd64) GENERIC=$p ;;
	esac
done <<<"$paths"
if [ ! -f "$CLOUD" ] || [ ! -f "$GENERIC" ]; then
	die "$fetch did not print an existing cloud and generic vmlinuz (it printed: ${paths//$'\n'/ })"
fi
"$HERE/mkinitramfs.sh" "$WORK/initramfs.cpio.gz" 2>"$WORK/mkinitramfs.err" ||
	{ sed 's/^/    | /' "$WORK/mkinitramfs.err"; die "building the initramfs failed"; }

kind=$("$ROOT/tests/vm/host-kind")
if [ "$kind" = vmx ] || [ "$kind" = svm ]; then
	run_configs "$XENNER" "$CLOUD" "$GENERIC" "$WORK/initramfs.cpio.gz" "$TIMEOUT" "$ONLY"
	exit
fi

# One VM for all four boots. Its limit: two attempts of each boot at most,
# plus the VM's own boot and some slack.
n_configs=$(wc -w <<<"$ONLY")
vm_timeout=$((n_configs * (2 * TIMEOUT + 30) + 180))
echo "INFO: system: host KVM is '$kind': running the four boots inside the faithful-KVM test VM (tests/vm/xvm)"
rc=0
"$ROOT/tests/vm/xvm" --timeout "$vm_timeout" --memory "$VM_MEMORY" --smp "$VM_SMP" \
	--add "$XENNER:/xvm/xenner" --add "$(command -v bash):/bin/bash" \
	--add "$HERE/run-all.sh:/xvm/system/run-all.sh" \
	--add "$HERE/boot-debian.sh:/xvm/system/boot-debian.sh" \
	--add "$CLOUD:/xvm/kernels/vmlinuz-cloud" --add "$GENERIC:/xvm/kernels/vmlinuz-generic" \
	--add "$WORK/initramfs.cpio.gz:/xvm/initramfs.cpio.gz" -- \
	bash /xvm/system/run-all.sh --configs /xvm/xenner /xvm/kernels/vmlinuz-cloud \
	/xvm/kernels/vmlinuz-generic /xvm/initramfs.cpio.gz "$TIMEOUT" "$ONLY" || rc=$?
case $rc in
0|1) ;;
124) echo "FAIL: system/vm: the test VM ran out of its $vm_timeout s limit" ;;
125) echo "FAIL: system/vm: the test VM harness failed (see its xvm: message above)" ;;
*) echo "FAIL: system/vm: the tests in the VM ended with status $rc" ;;
esac
exit "$rc"
