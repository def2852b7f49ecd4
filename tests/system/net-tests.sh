#!/bin/bash
# net-tests.sh — a vif on a TAP in a network namespace: ping and 64 MiB over TCP each way.
#
#   tests/system/net-tests.sh XENNER [--timeout S] [--vcpus N] [--repeat N]
#
# Creates a network namespace with no route out, runs xenner inside it with
# --nic "vifname=xnt0,mac=00:16:3e:5a:17:01,script=<a script that gives
# xnt0 10.99.0.1/24>" and Debian's cloud kernel (init.sh's xenner.test.net):
#
#   net/script       the vif script ran (online) and xnt0 has its address
#   net/link         the guest has eth0 with the MAC from the spec
#   net/ping         the guest pings 10.99.0.1
#   net/tx           64 MiB from the guest arrive intact (xt tcp-recv here)
#   net/rx           64 MiB from here arrive intact in the guest
#   net/stats        xenner's --stats count the packets both ways, none refused,
#                    over one queue
#   net/bridge       a second vif (--nic bridge=xnb0, no name, no MAC) is
#                    vif1.1 in that bridge and connects
#   net/cleanup      the TAPs are gone when xenner exits; the namespace is removed
#
# Directly on a VMX/SVM host, else inside the faithful-KVM test VM (with the
# tun module and the host's `ip`). Exit status 0 if all passed, else 1.
#   --vcpus N[,N] guest vCPUs (default 1; with 2, netfront uses two queues and
#                the stats check expects them); a list runs the sequence for
#                each, named net-Nvcpu/... for N > 1
#   --repeat N   run the whole sequence N times in the same test VM
#   (inside the VM: net-tests.sh --steps XENNER VMLINUZ INITRAMFS XT TIMEOUT VCPUS REPEAT)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MAC=00:16:3e:5a:17:01
FAILED=0
# Test names: net/... with one vCPU, net-Nvcpu/... with N (netfront then uses N queues).
T=net
pass() { echo "PASS: $T/$1"; }
fail() { echo "FAIL: $T/$1: $2"; FAILED=1; }

# One sequence, then its namespace and files go whatever happened.
steps() {
	local work ns
	work=$(mktemp -d "${TMPDIR:-/tmp}/nt.XXXXXX")
	ns=xenner-nt-$$
	sequence
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}

sequence() {
	local log rc=0 seed
	log=$work/console.log
	seed=$((RANDOM * 32768 + RANDOM))
	mkdir -p /run/netns    # the test VM's initramfs has no /run yet
	ip netns add "$ns" || { fail setup "ip netns add failed"; return; }
	ip -n "$ns" link set lo up
	ip -n "$ns" link add xnb0 type bridge || { fail setup "cannot create a bridge"; return; }
	# The vif script, run like Xen's vif-bridge: $vif names the TAP.
	cat >"$work/vif-up" <<-'EOS'
	#!/bin/sh
	[ "$1" = online ] || exit 0
	ip addr add 10.99.0.1/24 dev "$vif" && ip link set "$vif" up && echo "$vif $mac" > "$(dirname "$0")/script-ran"
	EOS
	chmod +x "$work/vif-up"

	ip netns exec "$ns" "$XT" tcp-recv 5001 64 "$seed" >"$work/recv.out" 2>&1 &
	local recv=$!
	ip netns exec "$ns" "$XENNER" --kernel "$KERNEL" --ramdisk "$INITRAMFS" --memory 512 --vcpus "$NV" --stats \
		--nic "vifname=xnt0,mac=$MAC,script=$work/vif-up" --nic "bridge=xnb0" \
		--extra "console=hvc0 quiet xenner.test.net=10.99.0.2,10.99.0.1 xenner.test.seed=$seed" \
		>"$log" 2>&1 &
	local pid=$! waited=0
	while ! grep -q '^XENNER-NET-LISTEN' "$log" && kill -0 "$pid" 2>/dev/null &&
		[ "$waited" -lt "$((TIMEOUT * 10))" ]; do
		sleep 0.1
		waited=$((waited + 1))
	done
	# (not `ip | grep -q`: under pipefail, ip's SIGPIPE would fail the check)
	local addrs
	addrs=$(ip -n "$ns" addr show xnt0 2>&1 || true)
	echo "INFO: $T/bridge-link: $(ip -n "$ns" -o link show vif1.1 2>&1)" >"$work/bridge"
	if grep -q "^xnt0 $MAC" "$work/script-ran" 2>/dev/null && [[ $addrs == *10.99.0.1/24* ]]; then
		pass script
	else
		fail script "the vif script did not run for xnt0 ($(cat "$work/script-ran" 2>&1)), or xnt0 lacks 10.99.0.1/24: ${addrs//$'\n'/ }"
	fi
	local sent_ok=0
	if grep -q '^XENNER-NET-LISTEN' "$log"; then
		ip netns exec "$ns" "$XT" tcp-send 10.99.0.2 5002 64 "$seed" >"$work/send.out" 2>&1 && sent_ok=1
	fi
	waited=0
	while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$((TIMEOUT * 10))" ]; do
		sleep 0.1
		waited=$((waited + 1))
	done
	kill -KILL "$pid" 2>/dev/null && echo "    (xenner killed after $TIMEOUT s)"
	wait "$pid" || rc=$?
	kill "$recv" 2>/dev/null || true
	wait "$recv" 2>/dev/null || true

	local mac
	mac=$(sed -n 's/^INFO: system\/net-link: eth0 mac \([0-9a-f:]*\).*/\1/p' "$log" | head -n 1)
	if grep -q '^PASS: system/net-link' "$log" && [ "$mac" = "$MAC" ]; then
		pass link
	else
		fail link "eth0 '$mac', want $MAC ($(grep -m1 '^FAIL: system/net-link' "$log" || true))"
	fi
	if grep -q '^PASS: system/net-ping' "$log"; then pass ping; else fail ping "$(grep -m1 '^FAIL: system/net-ping' "$log" || echo 'no verdict')"; fi
	if grep -q '^PASS: system/net-tx' "$log" && grep -q '^received 67108864 bytes' "$work/recv.out"; then
		pass tx
		sed -n "s/^received/INFO: $T\/tx: the host received/p" "$work/recv.out"
	else
		fail tx "guest: $(grep -m1 'system/net-tx' "$log" || echo 'no verdict'); host: $(head -c 300 "$work/recv.out")"
	fi
	if [ "$sent_ok" = 1 ] && grep -q '^PASS: system/net-rx' "$log"; then
		pass rx
		sed -n "s/^received\\( [0-9]* bytes in\\)/INFO: $T\\/rx: the guest received\\1/p" "$log" | tr -d '\r'
	else
		fail rx "guest: $(grep -m1 'system/net-rx' "$log" || echo 'no verdict'); host: $(head -c 300 "$work/send.out" 2>/dev/null)"
	fi
	local st
	st=$(grep -m1 '^nic 0 (xnt0):' "$log" || true)
	# Linux's netfront uses one queue per vCPU (make check: one vCPU).
	if [[ $st =~ guest\ sent\ ([0-9]+)\ packets\ \([0-9]+\ bytes,\ 0\ refused.*received\ ([0-9]+)\ \([0-9]+\ bytes,\ 0\ failed.*,\ ([0-9]+)\ queue ]] &&
		[ "${BASH_REMATCH[1]}" -gt 1000 ] && [ "${BASH_REMATCH[2]}" -gt 1000 ] &&
		[ "${BASH_REMATCH[3]}" = "$(( NV > 4 ? 4 : NV ))" ] && [ "$rc" = 0 ]; then
		pass stats
		echo "INFO: $T/stats: $st"
	else
		fail stats "xenner exited $rc; its counters: '${st:-none}'"
	fi
	local br
	br=$(sed -n "s/^INFO: $T\\/bridge-link: //p" "$work/bridge" 2>/dev/null)
	if [[ $br == *"master xnb0"* ]] && grep -q "^nic 1 (vif1.1): .*, $(( NV > 4 ? 4 : NV )) queue" "$log"; then
		pass bridge
	else
		fail bridge "vif1.1: '${br:-not seen}'; $(grep -m1 '^nic 1' "$log" || echo 'no counters for nic 1')"
	fi
	if ip -n "$ns" link show xnt0 >/dev/null 2>&1 || ip -n "$ns" link show vif1.1 >/dev/null 2>&1; then
		fail cleanup "xnt0 or vif1.1 still exists after xenner exited"
	else
		ip netns del "$ns" && pass cleanup || fail cleanup "ip netns del $ns failed"
	fi
	if [ "$FAILED" = 1 ]; then
		echo "    --- the guest's verdicts ---"
		grep -a '^FAIL: \|^PASS: ' "$log" | sed 's/^/    | /' || true
		echo "    --- console and xenner's stderr (the end) ---"
		sed 's/^/    | /' "$log" | tail -80
	fi
}

# The sequence for each vCPU count in VCPUS (a comma list), REPEAT times.
all_steps() {
	local run
	for NV in ${VCPUS//,/ }; do
		T=net
		[ "$NV" = 1 ] || T=net-${NV}vcpu
		for ((run = 1; run <= REPEAT; run++)); do
			[ "$REPEAT" = 1 ] || echo "INFO: $T: run $run of $REPEAT"
			steps
		done
	done
}

if [ "${1:-}" = --steps ]; then
	[ $# = 8 ] || { echo "usage: $0 --steps XENNER VMLINUZ INITRAMFS XT TIMEOUT VCPUS REPEAT" >&2; exit 2; }
	XENNER=$2 KERNEL=$3 INITRAMFS=$4 XT=$5 TIMEOUT=$6 VCPUS=$7 REPEAT=$8
	all_steps
	exit "$FAILED"
fi

[ $# -ge 1 ] || { sed -n 's/^#   \(tests\/system\/net-tests.sh .*\)/usage: \1/p' "$0" >&2; exit 2; }
XENNER=$1
shift
TIMEOUT=240 VCPUS=1 REPEAT=1
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) [ $# -ge 2 ] || { echo "net-tests: --timeout needs a value" >&2; exit 2; }
		TIMEOUT=$2; shift 2 ;;
	--vcpus) [[ ${2:-} =~ ^[1-8](,[1-8])*$ ]] || { echo "net-tests: --vcpus: 1 to 8, or a list (1,2)" >&2; exit 2; }
		VCPUS=$2; shift 2 ;;
	--repeat) [[ ${2:-} =~ ^[1-9][0-9]{0,2}$ ]] || { echo "net-tests: --repeat: a count" >&2; exit 2; }
		REPEAT=$2; shift 2 ;;
	*) echo "net-tests: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[[ $TIMEOUT =~ ^[1-9][0-9]{0,4}$ ]] || { echo "net-tests: --timeout: '$TIMEOUT' is not a number of seconds" >&2; exit 2; }
IP=$(command -v ip) || { echo "FAIL: net/setup: ip not found (Debian package iproute2)"; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/net-tests.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fetch=${FETCH_KERNELS:-$HERE/fetch-kernels.sh}
paths=$($fetch 2>"$WORK/fetch.err") ||
	{ sed 's/^/    | /' "$WORK/fetch.err"; echo "FAIL: net/setup: fetching the Debian kernels failed"; exit 1; }
CLOUD=${paths%%$'\n'*}
KROOT=$(cd "$(dirname "$CLOUD")/.." && pwd)
"$HERE/mkinitramfs.sh" "$WORK/initramfs.cpio.gz" --modules "$KROOT" 2>"$WORK/mkinitramfs.err" ||
	{ sed 's/^/    | /' "$WORK/mkinitramfs.err"; echo "FAIL: net/setup: building the initramfs failed"; exit 1; }
gcc -static -O2 -s -Wall -Wextra -Werror -o "$WORK/xt" "$HERE/guest-helper.c" 2>"$WORK/gcc.log" ||
	{ sed 's/^/    | /' "$WORK/gcc.log"; echo "FAIL: net/setup: compiling guest-helper.c failed"; exit 1; }

kind=$("$ROOT/tests/vm/host-kind")
if [ "$kind" = vmx ] || [ "$kind" = svm ]; then
	XENNER=$XENNER KERNEL=$CLOUD INITRAMFS=$WORK/initramfs.cpio.gz XT=$WORK/xt
	all_steps
	exit "$FAILED"
fi
echo "INFO: net: host KVM is '$kind': running the guest inside the faithful-KVM test VM (tests/vm/xvm)"
rc=0
nvc=${VCPUS//[^,]/}
"$ROOT/tests/vm/xvm" --timeout $(((${#nvc} + 1) * REPEAT * TIMEOUT + 180)) --memory 2048 --smp 2 --module tun --module bridge \
	--add "$XENNER:/xvm/xenner" --add "$(command -v bash):/bin/bash" --add "$IP:/xvm/ip" \
	--add "$WORK/xt:/xvm/xt" --add "$HERE/net-tests.sh:/xvm/system/net-tests.sh" \
	--add "$CLOUD:/xvm/kernels/vmlinuz-cloud" --add "$WORK/initramfs.cpio.gz:/xvm/initramfs.cpio.gz" -- \
	bash /xvm/system/net-tests.sh --steps /xvm/xenner /xvm/kernels/vmlinuz-cloud \
	/xvm/initramfs.cpio.gz /xvm/xt "$TIMEOUT" "$VCPUS" "$REPEAT" || rc=$?
case $rc in
0|1) ;;
124) echo "FAIL: net/vm: the test VM ran out of its time limit" ;;
*) echo "FAIL: net/vm: the tests in the VM ended with status $rc" ;;
esac
exit "$rc"
