#!/bin/bash
# bench/devices.sh — xvda and vif throughput of a Debian guest under xenner (a benchmark, not a test).
#
#   bench/devices.sh XENNER [--seconds S] [--net-mib N] [--image-mib N]
#
# Boots Debian's cloud kernel (1 vCPU, 512 MiB) with a raw image as xvda and
# a vif on a TAP inside a network namespace, and has the guest measure
# (init.sh's xenner.test.bench):
#   - O_DIRECT sequential 1 MiB reads and writes and random 4 KiB reads and
#     writes on xvda, one request at a time, S seconds each (default 10);
#   - TCP throughput over the vif, N MiB each way (default 256), against a
#     receiver/sender in the namespace (xt tcp-recv / tcp-send).
# Prints one line per figure. Directly on a VMX/SVM host; otherwise inside
# the faithful-KVM test VM, where guest code runs ~10x slower than native
# and the image lives in the VM's memory (tmpfs: no O_DIRECT on the host
# side, so xenner falls back to the page cache there) — say which when you
# quote the figures.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SECONDS_EACH=10 NET_MIB=256 IMAGE_MIB=256

run() {
	local work ns log seed=4242
	work=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")
	ns=xenner-bench-$$
	log=$work/console.log
	mkdir -p /run/netns
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	printf '#!/bin/sh\n[ "$1" = online ] || exit 0\nip addr add 10.98.0.1/24 dev "$vif" && ip link set "$vif" up\n' >"$work/up"
	chmod +x "$work/up"
	head -c $((IMAGE_MIB << 20)) /dev/zero >"$work/disk.img"
	ip netns exec "$ns" "$XT" tcp-recv 5001 "$NET_MIB" "$seed" >"$work/recv.out" 2>&1 &
	local recv=$!
	ip netns exec "$ns" "$XENNER" --kernel "$KERNEL" --ramdisk "$INITRAMFS" --memory 512 --stats \
		--disk "$work/disk.img,xvda,w" --nic "vifname=xb0,script=$work/up" \
		--extra "console=hvc0 quiet xenner.test.bench=$SECONDS_EACH xenner.test.net=10.98.0.2,10.98.0.1 xenner.test.netmib=$NET_MIB xenner.test.seed=$seed" \
		>"$log" 2>&1 &
	local pid=$! waited=0
	while ! grep -q '^XENNER-NET-LISTEN' "$log" && kill -0 "$pid" 2>/dev/null && [ $waited -lt 6000 ]; do
		sleep 0.1
		waited=$((waited + 1))
	done
	grep -q '^XENNER-NET-LISTEN' "$log" && ip netns exec "$ns" "$XT" tcp-send 10.98.0.2 5002 "$NET_MIB" "$seed" >"$work/send.out" 2>&1
	wait "$pid" || true
	kill "$recv" 2>/dev/null || true
	wait "$recv" 2>/dev/null || true
	echo "== xvda (O_DIRECT in the guest, one request at a time)"
	sed -n 's/^INFO: system\/bench-disk: \(.*KiB O_DIRECT.*\)/   \1/p' "$log" | tr -d '\r'
	echo "== vif (TCP, $NET_MIB MiB each way)"
	sed -n 's/^received \(.*\)/   guest -> host: received \1/p' "$work/recv.out"
	sed -n 's/^received \(.*\)/   host -> guest: received \1/p' "$log" | tr -d '\r'
	grep -E '^(disk|nic) ' "$log" | sed 's/^/   /'
	if ! grep -q '^XENNER-INIT-DONE passed=[0-9]* failed=0' "$log"; then
		echo "== the guest reported failures; its console:"
		sed 's/^/   | /' "$log" | tail -60
	fi
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}

if [ "${1:-}" = --in-vm ]; then
	XENNER=$2 KERNEL=$3 INITRAMFS=$4 XT=$5 SECONDS_EACH=$6 NET_MIB=$7 IMAGE_MIB=$8
	run
	exit 0
fi
[ $# -ge 1 ] || { sed -n 's/^#   \(bench\/devices.sh .*\)/usage: \1/p' "$0" >&2; exit 2; }
XENNER=$1
shift
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECONDS_EACH=$2; shift 2 ;;
	--net-mib) NET_MIB=$2; shift 2 ;;
	--image-mib) IMAGE_MIB=$2; shift 2 ;;
	*) echo "bench/devices.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
for v in "$SECONDS_EACH" "$NET_MIB" "$IMAGE_MIB"; do
	[[ $v =~ ^[1-9][0-9]{0,3}$ ]] || { echo "bench/devices.sh: '$v' is not a number" >&2; exit 2; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-devices.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
paths=$("$ROOT/tests/system/fetch-kernels.sh")
CLOUD=${paths%%$'\n'*}
KROOT=$(cd "$(dirname "$CLOUD")/.." && pwd)
"$ROOT/tests/system/mkinitramfs.sh" "$WORK/initramfs.cpio.gz" --modules "$KROOT"
gcc -static -O2 -s -o "$WORK/xt" "$ROOT/tests/system/guest-helper.c"
kind=$("$ROOT/tests/vm/host-kind")
if [ "$kind" = vmx ] || [ "$kind" = svm ]; then
	echo "host KVM: $kind (directly)"
	XENNER=$XENNER KERNEL=$CLOUD INITRAMFS=$WORK/initramfs.cpio.gz XT=$WORK/xt
	run
	exit 0
fi
echo "host KVM: $kind; measuring inside the faithful-KVM test VM (nested, TCG: ~10x slower than native)"
"$ROOT/tests/vm/xvm" --timeout $((SECONDS_EACH * 4 + 600)) --memory $((IMAGE_MIB + 1536)) --smp 2 --module tun \
	--add "$XENNER:/xvm/xenner" --add "$(command -v bash):/bin/bash" --add "$(command -v ip):/xvm/ip" \
	--add "$WORK/xt:/xvm/xt" --add "$HERE/devices.sh:/xvm/devices.sh" \
	--add "$CLOUD:/xvm/vmlinuz" --add "$WORK/initramfs.cpio.gz:/xvm/initramfs.cpio.gz" -- \
	bash /xvm/devices.sh --in-vm /xvm/xenner /xvm/vmlinuz /xvm/initramfs.cpio.gz /xvm/xt \
	"$SECONDS_EACH" "$NET_MIB" "$IMAGE_MIB" | grep -v '^XVM-\|^\[ *[0-9.]*\] '
