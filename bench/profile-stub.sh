#!/bin/bash
# bench/profile-stub.sh — name the stub functions in a sampling profile (a developer's tool, not a test).
#
#   XENNER_PROFILE=prof.txt xenner ...; bench/profile-stub.sh prof.txt [STUB_ELF]
#
# xenner, run with XENNER_PROFILE=FILE, samples where its vCPUs are every
# 500 us and writes "address samples" lines for the stub image. This sums
# them per function (addr2line on build/stub64.elf by default) and prints
# the functions with the most samples first, then the ten hottest addresses
# with their source lines.
set -euo pipefail
[ $# -ge 1 ] || { sed -n 's/^#   \(XENNER_PROFILE.*\)/usage: \1/p' "$0" >&2; exit 2; }
PROF=$1
ELF=${2:-$(cd "$(dirname "$0")/.." && pwd)/build/stub64.elf}
head -n 1 "$PROF"
grep -v '^#' "$PROF" >"$PROF.addrs"
cut -d' ' -f1 "$PROF.addrs" | addr2line -f -e "$ELF" | paste - - >"$PROF.syms"
paste -d' ' "$PROF.addrs" "$PROF.syms" | awk '{ n[$3] += $2; t += $2 } END {
	for (f in n) printf "%7d %5.1f%%  %s\n", n[f], 100 * n[f] / t, f }' | sort -rn | head -n 25
echo "hottest addresses:"
paste -d' ' "$PROF.addrs" "$PROF.syms" | head -n 10 | awk '{ printf "%7d  %s  %s  %s\n", $2, $1, $3, $4 }'
rm -f "$PROF.addrs" "$PROF.syms"
