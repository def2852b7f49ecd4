#!/bin/bash
# xenstore-tools.sh — Debian's own xenstore-* tools against a running guest, through --xenstore-socket.
#
#   tests/system/xenstore-tools.sh XENNER [--timeout S]
#
# Boots Debian's cloud kernel under xenner with a scratch disk (xvda) and
# --xenstore-socket; once the guest is up (init.sh's xenner.test.idle: the
# disk check done, XENNER-IDLE printed), the tools of Debian's xenstore-utils
# (libxenstore, XENSTORED_PATH pointing at the socket) must:
#
#   xenstore/ls           list /local/domain/1 with the guest's name, its
#                         memory target and its connected vbd (state 4)
#   xenstore/read         read the backend's sectors (the 32 MiB disk)
#   xenstore/write        write a node and read it back
#   xenstore/perms        see libxl's permissions (xenstore-ls -p): the
#                         guest owns its frontend dir, dom0 its backend dir
#   xenstore/watch        get a watch's initial event and one per write
#   xenstore/shutdown     write control/shutdown = poweroff: the guest's
#                         kernel powers off (as `xl shutdown`), xenner exits 0
#   xenstore/socket-gone  and removes its socket
#
# Directly on a VMX/SVM host, else inside the faithful-KVM test VM.
#   (inside the VM: xenstore-tools.sh --steps XENNER VMLINUZ INITRAMFS TIMEOUT)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
FAILED=0
pass() { echo "PASS: xenstore/$1"; }
fail() { echo "FAIL: xenstore/$1: $2"; FAILED=1; }

steps() {
	local work sock log pid
	work=$(mktemp -d "${TMPDIR:-/tmp}/xst.XXXXXX")
	sock=$work/xenstored.sock log=$work/console.log
	export XENSTORED_PATH=$sock
	head -c $((32 << 20)) /dev/zero >"$work/disk.img"
	"$XENNER" --kernel "$KERNEL" --ramdisk "$INITRAMFS" --memory 256 --disk "$work/disk.img,xvda,w" \
		--xenstore-socket "$sock" \
		--extra "console=hvc0 quiet xenner.test.idle=$TIMEOUT xenner.test.disk=xvda" >"$log" 2>&1 &
	pid=$!
	local waited=0
	while ! grep -q '^XENNER-IDLE' "$log" && kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$((TIMEOUT * 10))" ]; do
		sleep 0.1
		waited=$((waited + 1))
	done
	if ! grep -q '^XENNER-IDLE' "$log"; then
		kill -KILL "$pid" 2>/dev/null || true
		fail boot "the guest never became idle"
		sed 's/^/    | /' "$log"
		return
	fi

	local out
	out=$(timeout 20 xenstore-ls /local/domain/1 2>&1) || true
	local vbd
	vbd=$(grep -A12 '^ *51712 = ""' <<<"$out" || true)
	if grep -q '^name = "xenner-guest"' <<<"$out" && grep -q '^ *target = "262144"' <<<"$out" &&
		grep -q '^ *state = "4"' <<<"$vbd"; then
		pass ls
	else
		fail ls "xenstore-ls /local/domain/1 lacks the name, memory target or a connected vbd"
		sed 's/^/    | /' <<<"$out"
	fi
	out=$(timeout 20 xenstore-read /local/domain/0/backend/vbd/1/51712/sectors 2>&1) || true
	if [ "$out" = 65536 ]; then pass read; else fail read "backend sectors: '$out', want 65536"; fi

	if timeout 20 xenstore-write /local/domain/1/data/xenner-test "hello from dom0" &&
		[ "$(timeout 20 xenstore-read /local/domain/1/data/xenner-test)" = "hello from dom0" ]; then
		pass write
	else
		fail write "xenstore-write then xenstore-read did not give the value back"
	fi

	out=$(timeout 20 xenstore-ls -p /local/domain 2>&1) || true
	# libxl: the frontend dir is the guest's (n1) with dom0 reading (r0); the backend dir dom0's (n0, r1).
	local beperms
	beperms=$(timeout 20 xenstore-ls -p /local/domain/0/backend/vbd/1 2>&1 || true)
	if grep -Eq '^ +51712 = "".*\(n1,r0\)$' <<<"$out" && grep -Eq '^51712 = "".*\(n0,r1\)$' <<<"$beperms"; then
		pass perms
	else
		fail perms "xenstore-ls -p does not show libxl's permissions"
		sed 's/^/    | /' <<<"$out"
		sed 's/^/    | /' <<<"$beperms"
	fi

	timeout 30 xenstore-watch -n 3 /local/domain/1/data/watched >"$work/watch.out" 2>&1 &
	local wpid=$!
	sleep 1
	timeout 20 xenstore-write /local/domain/1/data/watched one
	timeout 20 xenstore-write /local/domain/1/data/watched two
	wait "$wpid" 2>/dev/null || true
	if [ "$(grep -c '^/local/domain/1/data/watched' "$work/watch.out")" = 3 ]; then
		pass watch
	else
		fail watch "xenstore-watch -n 3 did not see the initial event and two writes"
		sed 's/^/    | /' "$work/watch.out"
	fi

	timeout 20 xenstore-write /local/domain/1/control/shutdown poweroff || true
	local rc=0
	waited=0
	while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 600 ]; do
		sleep 0.1
		waited=$((waited + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		rc=137
	fi
	wait "$pid" || rc=$?
	if [ "$rc" = 0 ] && grep -q '^XENNER-IDLE-SHUTDOWN' "$log"; then
		pass shutdown
	else
		fail shutdown "after control/shutdown = poweroff xenner exited $rc (init saw the request: $(grep -c '^XENNER-IDLE-SHUTDOWN' "$log"))"
		sed 's/^/    | /' "$log" | tail -40
	fi
	if [ -e "$sock" ]; then fail socket-gone "$sock is still there"; else pass socket-gone; fi
	rm -rf "$work"
}

if [ "${1:-}" = --steps ]; then
	[ $# = 5 ] || { echo "usage: $0 --steps XENNER VMLINUZ INITRAMFS TIMEOUT" >&2; exit 2; }
	XENNER=$2 KERNEL=$3 INITRAMFS=$4 TIMEOUT=$5
	steps
	exit "$FAILED"
fi

[ $# -ge 1 ] || { sed -n 's/^#   \(tests\/system\/xenstore-tools.sh .*\)/usage: \1/p' "$0" >&2; exit 2; }
XENNER=$1
shift
TIMEOUT=180
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) [ $# -ge 2 ] || { echo "xenstore-tools: --timeout needs a value" >&2; exit 2; }
		TIMEOUT=$2; shift 2 ;;
	*) echo "xenstore-tools: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[[ $TIMEOUT =~ ^[1-9][0-9]{0,4}$ ]] || { echo "xenstore-tools: --timeout: '$TIMEOUT' is not a number of seconds" >&2; exit 2; }
for tool in xenstore-ls xenstore-read xenstore-write xenstore-watch; do
	command -v "$tool" >/dev/null ||
		{ echo "FAIL: xenstore/setup: $tool not found (Debian package xenstore-utils; ./configure installs it)"; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/xenstore-tools.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fetch=${FETCH_KERNELS:-$HERE/fetch-kernels.sh}
paths=$($fetch 2>"$WORK/fetch.err") ||
	{ sed 's/^/    | /' "$WORK/fetch.err"; echo "FAIL: xenstore/setup: fetching the Debian kernels failed"; exit 1; }
CLOUD=${paths%%$'\n'*}
KROOT=$(cd "$(dirname "$CLOUD")/.." && pwd)
"$HERE/mkinitramfs.sh" "$WORK/initramfs.cpio.gz" --modules "$KROOT" 2>"$WORK/mkinitramfs.err" ||
	{ sed 's/^/    | /' "$WORK/mkinitramfs.err"; echo "FAIL: xenstore/setup: building the initramfs failed"; exit 1; }

kind=$("$ROOT/tests/vm/host-kind")
if [ "$kind" = vmx ] || [ "$kind" = svm ]; then
	XENNER=$XENNER KERNEL=$CLOUD INITRAMFS=$WORK/initramfs.cpio.gz
	steps
	exit "$FAILED"
fi
echo "INFO: xenstore: host KVM is '$kind': running the guest inside the faithful-KVM test VM (tests/vm/xvm)"
adds=()
for tool in xenstore-ls xenstore-read xenstore-write xenstore-watch; do
	adds+=(--add "$(command -v "$tool"):/bin/$tool")
done
rc=0
"$ROOT/tests/vm/xvm" --timeout $((2 * TIMEOUT + 120)) --memory 1024 --smp 2 \
	--add "$XENNER:/xvm/xenner" --add "$(command -v bash):/bin/bash" "${adds[@]}" \
	--add "$HERE/xenstore-tools.sh:/xvm/system/xenstore-tools.sh" \
	--add "$CLOUD:/xvm/kernels/vmlinuz-cloud" --add "$WORK/initramfs.cpio.gz:/xvm/initramfs.cpio.gz" -- \
	bash /xvm/system/xenstore-tools.sh --steps /xvm/xenner /xvm/kernels/vmlinuz-cloud \
	/xvm/initramfs.cpio.gz "$TIMEOUT" || rc=$?
case $rc in
0|1) ;;
124) echo "FAIL: xenstore/vm: the test VM ran out of its time limit" ;;
*) echo "FAIL: xenstore/vm: the tests in the VM ended with status $rc" ;;
esac
exit "$rc"
