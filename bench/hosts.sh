#!/bin/bash
# bench/hosts.sh — one guest workload three ways: xenner directly on this host's KVM, xenner in the faithful-KVM test VM, QEMU TCG (a benchmark, not a test).
#
#   bench/hosts.sh XENNER [--micro-ms MS] [--only direct|vm|tcg]...
#
# Boots Debian's cloud kernel (1 vCPU, 512 MiB) with the test initramfs and
# xenner.test.micro=MS (default 2000): the guest reports its uptime when init
# starts (boot to init, on the guest's clock) and `xt micro` rates — getppid
# system calls, fork+exec+wait of a static program, first-touch page faults
# and pipe round trips between two processes — MS milliseconds each.
#   direct  xenner on this host's /dev/kvm (kvm_pvm, VMX or SVM), with --stats
#   vm      xenner inside the faithful-KVM test VM (tests/vm/xvm: QEMU TCG
#           emulating SVM, nested KVM), with --stats
#   tcg     the same kernel and initramfs as an ordinary guest of QEMU TCG
#           (tests/system/qemu-as-xenner.sh), the only other way to run it
#           on a host without VMX/SVM
# Prints one table row per way (and the stub entries by cause for the two
# xenner runs) and keeps the consoles in the directory it names. Then what
# one stub entry costs, directly and in the test VM: the entrycost guest
# (build/guests/pv64/entrycost, `make guests`), cycles per entry.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
MICRO_MS=2000
WAYS=()

usage() { sed -n 's/^#   \(bench\/hosts.sh .*\)/usage: \1/p' "$0" >&2; exit 2; }
[ $# -ge 1 ] || usage
XENNER=$1
shift
while [ $# -gt 0 ]; do
	case $1 in
	--micro-ms) [ $# -ge 2 ] || usage; MICRO_MS=$2; shift 2 ;;
	--only) [ $# -ge 2 ] || usage; WAYS+=("$2"); shift 2 ;;
	*) echo "bench/hosts.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[[ $MICRO_MS =~ ^[1-9][0-9]{0,4}$ ]] || { echo "bench/hosts.sh: --micro-ms '$MICRO_MS' is not a number" >&2; exit 2; }
[ ${#WAYS[@]} -gt 0 ] || WAYS=(direct vm tcg)
for w in "${WAYS[@]}"; do
	case $w in direct|vm|tcg) ;; *) echo "bench/hosts.sh: --only '$w': direct, vm or tcg" >&2; exit 2 ;; esac
done
[ -x "$XENNER" ] || { echo "bench/hosts.sh: $XENNER is not an executable" >&2; exit 2; }

OUT=$(mktemp -d "${TMPDIR:-/tmp}/bench-hosts.XXXXXX")
paths=$("$ROOT/tests/system/fetch-kernels.sh")
CLOUD=${paths%%$'\n'*}
"$ROOT/tests/system/mkinitramfs.sh" "$OUT/initramfs.cpio.gz"
EXTRA="console=hvc0 quiet xenner.test.micro=$MICRO_MS"
TIMEOUT=$((MICRO_MS * 4 / 1000 + 900))
kind=$("$ROOT/tests/vm/host-kind")

# run WAY: the guest's console in $OUT/WAY.log, xenner's stderr in $OUT/WAY.err.
run() {
	local way=$1
	case $way in
	direct)
		if [ "$kind" = none ]; then
			echo "direct: no usable /dev/kvm here" >"$OUT/direct.err"
			return
		fi
		timeout -k 5 "$TIMEOUT" "$XENNER" --kernel "$CLOUD" --ramdisk "$OUT/initramfs.cpio.gz" \
			--memory 512 --stats --extra "$EXTRA" >"$OUT/direct.log" 2>"$OUT/direct.err" </dev/null || true ;;
	vm)
		"$ROOT/tests/vm/xvm" --timeout "$TIMEOUT" --memory 1536 --add "$XENNER:/xvm/xenner" \
			--add "$CLOUD:/xvm/vmlinuz" --add "$OUT/initramfs.cpio.gz:/xvm/initramfs.cpio.gz" -- \
			sh -c "/xvm/xenner --kernel /xvm/vmlinuz --ramdisk /xvm/initramfs.cpio.gz --memory 512 \
				--stats --extra '$EXTRA' 2>&1" >"$OUT/vm.log" 2>"$OUT/vm.err" </dev/null || true ;;
	tcg)
		timeout -k 5 "$TIMEOUT" "$ROOT/tests/system/qemu-as-xenner.sh" --kernel "$CLOUD" \
			--ramdisk "$OUT/initramfs.cpio.gz" --memory 512 --extra "$EXTRA" \
			>"$OUT/tcg.log" 2>"$OUT/tcg.err" </dev/null || true ;;
	esac
}

# figure LOG NAME: the rate xt micro printed for NAME, or "-".
figure() {
	local v
	v=$(sed -n "s/.*micro $2: \([0-9]*\)\/s.*/\1/p" "$1" 2>/dev/null | head -n 1)
	echo "${v:--}"
}

printf '%-8s %10s %12s %11s %12s %12s  %s\n' way "boot (s)" "syscall/s" "fork-exec/s" "page-fault/s" \
	"pipe-rt/s" "stub entries"
for w in "${WAYS[@]}"; do
	run "$w"
	log=$OUT/$w.log
	up=$(sed -n 's/.*XENNER-INIT-CLOCK start=[0-9]* uptime=\([0-9]*\).*/\1/p' "$log" 2>/dev/null | head -n 1)
	boot=-
	[ -n "$up" ] && boot=$(awk -v m="$up" 'BEGIN { printf "%.1f", m / 1000 }')
	entries=$(sed -n 's/.*xenner: stats: \([0-9]*\) stub entries.*/\1/p' "$log" "$OUT/$w.err" 2>/dev/null |
		head -n 1)
	printf '%-8s %10s %12s %11s %12s %12s  %s\n' "$w" "$boot" "$(figure "$log" syscall)" \
		"$(figure "$log" fork-exec)" "$(figure "$log" page-fault)" "$(figure "$log" pipe-roundtrip)" \
		"${entries:--}"
	grep -q '^XENNER-INIT-DONE passed=[0-9]* failed=0' "$log" ||
		echo "   $w: the guest did not finish cleanly; see $OUT/$w.log and $OUT/$w.err"
done
for w in "${WAYS[@]}"; do
	[ "$w" = tcg ] && continue
	f=$OUT/$w.err
	[ "$w" = vm ] && f=$OUT/$w.log
	grep -q 'xenner: stats:' "$f" 2>/dev/null || continue
	echo "== stub entries by cause ($w, the whole run: boot, micro-benchmarks, poweroff)"
	grep 'xenner: stats:' "$f" | sed 's/^.*xenner: stats: */   /'
done
ENTRYCOST=$ROOT/build/guests/pv64/entrycost
if [ -x "$ENTRYCOST" ]; then
	for w in "${WAYS[@]}"; do
		case $w in
		direct)
			[ "$kind" = none ] && continue
			timeout -k 5 300 "$XENNER" --kernel "$ENTRYCOST" >"$OUT/entry-direct.log" 2>&1 </dev/null || true ;;
		vm)
			"$ROOT/tests/vm/xvm" --timeout 600 --add "$XENNER:/xvm/xenner" \
				--add "$ENTRYCOST:/xvm/entrycost" -- /xvm/xenner --kernel /xvm/entrycost \
				>"$OUT/entry-vm.log" 2>&1 </dev/null || true ;;
		*) continue ;;
		esac
		echo "== one stub entry ($w, cycles of the guest's TSC)"
		sed -n 's/^.*COST: /   /p' "$OUT/entry-$w.log"
	done
else
	echo "(no $ENTRYCOST: make guests, for the cost of one stub entry)"
fi
echo "(host KVM: $kind; consoles and stderr in $OUT)"
