#!/bin/bash
# real-kernels.sh XENNER — Debian's own cloud (lz4 bzImage) and generic (xz bzImage) kernels parse: notes as expected, xenner gets past the image.
#
# Fetches the kernels with tests/system/fetch-kernels.sh (apt-get download,
# cached), builds tests/cli/dumpnotes.c against pvboot and prints, for each
# flavour F (cloud, generic):
#
#   PASS|FAIL: cli/real-kernels/F-notes           dumpnotes unpacks and parses
#       it, and its Xen notes are those of an x86_64 CONFIG_XEN_PV Linux
#   PASS|FAIL: cli/real-kernels/F-xenner          xenner --dry-run accepts the
#       image: exit 0, its one "dry run" line says a 64-bit PV kernel
#   PASS|FAIL: cli/real-kernels/F-gzip-elf-xenner the same for its vmlinux
#       gzip'd (the way RHEL5 ships kernels)
#   PASS|FAIL: cli/real-kernels/F-truncated       the file's first half is
#       refused with one line naming the file
#
# or one SKIP line when the kernels cannot be fetched (no apt, no cache).
# DUMPNOTES_VERBOSE=1 prints every dump.
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 XENNER" >&2
	exit 2
fi
xenner=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
timeout_s=${XENNER_TIMEOUT:-60}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xenner-real.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: cli/real-kernels/$1: $2"
	failures=$((failures + 1))
}

if [ ! -x "$xenner" ]; then
	fail setup "$xenner is not an executable"
	exit 1
fi
if ! gcc -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -D__XEN_INTERFACE_VERSION__=0x00040d00 \
	-I"$root" -I"$root/include" "$here/dumpnotes.c" "$root"/pvboot/bzimage.c \
	"$root"/pvboot/decompress.c "$root"/pvboot/elf.c "$root"/pvboot/xennotes.c \
	-o "$tmp/dumpnotes" -lz -lbz2 -llzma -llzo2 -llz4 -lzstd 2>"$tmp/gcc.err"; then
	fail setup "cannot build dumpnotes: $(head -c 600 "$tmp/gcc.err")"
	exit 1
fi
if ! paths=$("$root/tests/system/fetch-kernels.sh" 2>"$tmp/fetch.err"); then
	echo "SKIP: cli/real-kernels: cannot fetch the Debian kernels: $(tail -n 1 "$tmp/fetch.err")"
	exit 0
fi

# field DUMP KEY: the value of "KEY: value" in a dumpnotes output (lines start with what they say).
field() { sed -n "s/^$2: //p" "$1" | head -n 1; }

# check_notes FLAVOUR VMLINUZ: what every x86_64 CONFIG_XEN_PV Linux declares.
check_notes() {
	local name=$1-notes dump=$tmp/$1.dump entry kstart kend
	if ! "$tmp/dumpnotes" "$2" "$tmp/$1.elf" >"$dump" 2>"$tmp/$1.err"; then
		fail "$name" "$(cat "$tmp/$1.err")"
		return
	fi
	[ "${DUMPNOTES_VERBOSE:-0}" = 1 ] && sed 's/^/    /' "$dump"
	entry=$(field "$dump" entry)
	kstart=$(field "$dump" virt_kstart)
	kend=$(field "$dump" virt_kend)
	local want
	for want in "container: bzImage" "class: 64-bit" "guest_os: linux" "xen_version: xen-3.0" \
		"loader: generic" "virt_base: 0xffffffff80000000" "hv_start_low: 0xffff800000000000" \
		"mod_start_pfn: 1" "features_required: writable_page_tables"; do
		if ! awk -v w="$want" 'index($0, w) == 1 { f = 1 } END { exit !f }' "$dump"; then
			fail "$name" "no \"$want\" line in the dump: $(tr '\n' ';' <"$dump" | head -c 800)"
			return
		fi
	done
	if [ -z "$entry" ] || (( entry < kstart || entry >= kend )); then
		fail "$name" "entry $entry is not inside the image [$kstart, $kend)"
		return
	fi
	echo "PASS: cli/real-kernels/$name ($(field "$dump" payload) payload, $(field "$dump" elf))"
}

# check_xenner FLAVOUR VMLINUZ: image parsed and laid out (--dry-run), not booted.
check_xenner() {
	local name=$1-xenner err=$tmp/$1.stderr out=$tmp/$1.stdout rc
	timeout -k 5 "$timeout_s" "$xenner" --kernel "$2" --dry-run </dev/null >"$out" 2>"$err"
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "$name" "exit status $rc, expected 0; stderr: $(head -c 400 "$err")"
	elif [ -s "$err" ] || [ "$(grep -c '' "$out")" -ne 1 ]; then
		fail "$name" "expected one stdout line and no stderr: $(head -c 400 "$out" "$err")"
	elif ! grep -qF -- "dry run: $2: 64-bit PV kernel" "$out"; then
		fail "$name" "not the dry run's line: $(cat "$out")"
	else
		echo "PASS: cli/real-kernels/$name"
	fi
}

# check_refused FLAVOUR VMLINUZ: the first half of the file is not a kernel.
check_refused() {
	local name=$1-truncated half=$tmp/${2##*/} err=$tmp/$1.trunc.stderr rc
	head -c $(($(stat -c %s "$2") / 2)) "$2" >"$half"
	timeout -k 5 "$timeout_s" "$xenner" --kernel "$half" --dry-run </dev/null >/dev/null 2>"$err"
	rc=$?
	if [ $rc -ne 1 ] || [ "$(grep -c '' "$err")" -ne 1 ]; then
		fail "$name" "exit status $rc (expected 1 and one stderr line): $(head -c 400 "$err")"
	elif ! grep -qF -- "$half: bzImage payload" "$err"; then
		fail "$name" "the line does not name the file and its payload: $(cat "$err")"
	else
		echo "PASS: cli/real-kernels/$name"
	fi
	rm -f "$half"
}

seen=0
while IFS= read -r vmlinuz; do
	case ${vmlinuz##*/} in
	vmlinuz-*-cloud-amd64) flavour=cloud ;;
	vmlinuz-*-amd64) flavour=generic ;;
	*) fail fetch "unexpected path from fetch-kernels.sh: $vmlinuz"; continue ;;
	esac
	seen=$((seen + 1))
	check_notes "$flavour" "$vmlinuz"
	check_xenner "$flavour" "$vmlinuz"
	if [ -f "$tmp/$flavour.elf" ] && gzip -1 -c "$tmp/$flavour.elf" >"$tmp/vmlinuz-$flavour.gz"; then
		check_xenner "$flavour-gzip-elf" "$tmp/vmlinuz-$flavour.gz"
	else
		fail "$flavour-gzip-elf" "no unpacked ELF to compress (see $flavour-notes)"
	fi
	rm -f "$tmp/$flavour.elf" "$tmp/vmlinuz-$flavour.gz"
	check_refused "$flavour" "$vmlinuz"
done <<<"$paths"
[ $seen -eq 2 ] || fail fetch "fetch-kernels.sh printed $seen kernels, expected 2: $paths"

[ $failures -eq 0 ]
