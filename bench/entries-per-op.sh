#!/bin/bash
# bench/entries-per-op.sh — stub entries per operation of each xt micro figure, by cause (a benchmark, not a test).
#
#   bench/entries-per-op.sh XENNER [--way direct|vm] [--figure NAME]...
#
# For each figure (syscall: getppid; fork-exec; page-fault: first touch of
# an anonymous page; pipe-roundtrip) boots Debian's cloud kernel (1 vCPU,
# 512 MiB) with the test initramfs twice, running only that figure for 1 s
# and for 3 s (xenner.test.microfig), with --stats. Boot and power-off are
# the same in both runs, so the difference in stub entries over the
# difference in operations is what one operation costs, by cause.
#   direct  xenner on this host's /dev/kvm (default)
#   vm      xenner inside the faithful-KVM test VM (tests/vm/xvm)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
WAY=direct
FIGURES=()
usage() { sed -n 's/^#   \(bench\/entries-per-op.sh .*\)/usage: \1/p' "$0" >&2; exit 2; }
[ $# -ge 1 ] || usage
XENNER=$1
shift
while [ $# -gt 0 ]; do
	case $1 in
	--way) [ $# -ge 2 ] || usage; WAY=$2; shift 2 ;;
	--figure) [ $# -ge 2 ] || usage; FIGURES+=("$2"); shift 2 ;;
	*) echo "bench/entries-per-op.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
case $WAY in direct|vm) ;; *) echo "bench/entries-per-op.sh: --way '$WAY': direct or vm" >&2; exit 2 ;; esac
[ ${#FIGURES[@]} -gt 0 ] || FIGURES=(syscall fork-exec page-fault pipe-roundtrip)
for f in "${FIGURES[@]}"; do
	case $f in syscall|fork-exec|page-fault|pipe-roundtrip) ;;
	*) echo "bench/entries-per-op.sh: --figure '$f': syscall, fork-exec, page-fault or pipe-roundtrip" >&2
	   exit 2 ;;
	esac
done
[ -x "$XENNER" ] || { echo "bench/entries-per-op.sh: $XENNER is not an executable" >&2; exit 2; }

OUT=$(mktemp -d "${TMPDIR:-/tmp}/bench-entries.XXXXXX")
paths=$("$ROOT/tests/system/fetch-kernels.sh")
CLOUD=${paths%%$'\n'*}
"$ROOT/tests/system/mkinitramfs.sh" "$OUT/initramfs.cpio.gz"

# run FIGURE MS: console and stats (xenner's stderr) in $OUT/FIGURE-MS.log.
run() {
	local extra="console=hvc0 quiet xenner.test.micro=$2 xenner.test.microfig=$1" log=$OUT/$1-$2.log
	if [ "$WAY" = direct ]; then
		timeout -k 5 900 "$XENNER" --kernel "$CLOUD" --ramdisk "$OUT/initramfs.cpio.gz" \
			--memory 512 --stats --extra "$extra" >"$log" 2>&1 </dev/null || true
	else
		"$ROOT/tests/vm/xvm" --timeout 900 --memory 1536 --add "$XENNER:/xvm/xenner" \
			--add "$CLOUD:/xvm/vmlinuz" --add "$OUT/initramfs.cpio.gz:/xvm/initramfs.cpio.gz" -- \
			sh -c "/xvm/xenner --kernel /xvm/vmlinuz --ramdisk /xvm/initramfs.cpio.gz --memory 512 \
				--stats --extra '$extra' 2>&1" >"$log" 2>&1 </dev/null || true
	fi
	grep -q '^XENNER-INIT-DONE passed=[0-9]* failed=0' "$log" ||
		echo "   $1 ($2 ms): the guest did not finish cleanly; see $log" >&2
}

# ops LOG FIGURE: the operations xt micro counted.
ops() { sed -n "s/.*micro $2: [0-9]*\/s (\([0-9]*\) in .*/\1/p" "$1" | head -n 1; }

# causes LOG: "cause<TAB>count" for each stats line, and "all<TAB>total".
causes() {
	sed -n 's/.*xenner: stats: \([0-9]*\) stub entries.*/all\t\1/p' "$1" | head -n 1
	sed -n 's/.*xenner: stats:   \(.*[^ ]\) *  *\([0-9][0-9]*\)$/\1\t\2/p' "$1"
}

echo "stub entries per operation ($WAY; the difference of a 3 s and a 1 s run, by cause)"
for f in "${FIGURES[@]}"; do
	run "$f" 1000
	run "$f" 3000
	n1=$(ops "$OUT/$f-1000.log" "$f")
	n3=$(ops "$OUT/$f-3000.log" "$f")
	if [ -z "$n1" ] || [ -z "$n3" ] || [ "$n3" -le "$n1" ]; then
		echo "== $f: no operation counts (see $OUT/$f-*.log)"
		continue
	fi
	echo "== $f: $((n3 - n1)) more operations"
	join -t $'\t' -a 2 -e 0 -o 0,1.2,2.2 <(causes "$OUT/$f-1000.log" | sort) \
		<(causes "$OUT/$f-3000.log" | sort) |
		awk -F '\t' -v n="$((n3 - n1))" '{ d = ($3 - $2) / n; if (d >= 0.01 || $1 == "all")
			printf "   %-40s %8.2f\n", $1, d }' | sort -k1,1 -s | awk '/^   all /{ a = $0; next } { print } END { print a }'
done
echo "(logs in $OUT)"
