#!/bin/bash
# bad-kernels.sh XENNER — xenner refuses bad kernels: exit 1, one stderr line naming the file and the problem.
#
# Generates the kernels with mkbadkernel.c (built here with gcc) into a
# temporary directory and prints "PASS: cli/<name>" or
# "FAIL: cli/<name>: <why>" per case. Exit status: 0 if all passed.
# XENNER_EXTRA_ARGS (optional) is added to every xenner command line.
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 XENNER" >&2
	exit 2
fi
xenner=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
timeout_s=${XENNER_TIMEOUT:-60}
read -r -a extra <<<"${XENNER_EXTRA_ARGS:-}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xenner-cli.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: cli/$1: $2"
	failures=$((failures + 1))
}

if [ ! -x "$xenner" ]; then
	fail setup "$xenner is not an executable"
	exit 1
fi
if ! gcc -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$root/tests/unit" \
	"$here/mkbadkernel.c" -o "$tmp/mkbadkernel" 2>"$tmp/gcc.err"; then
	fail setup "cannot build mkbadkernel: $(cat "$tmp/gcc.err")"
	exit 1
fi

# Show a captured stream in a FAIL line: quoted, newlines as \n, at most 400 bytes.
show() {
	local s
	s=$(head -c 400 "$1" | sed -e ':a;N;$!ba;s/\n/\\n/g')
	printf '"%s"' "$s"
}

# check NAME PHRASE_REGEX FILE [xenner args...]
# Runs xenner with the args; FILE must appear in the one stderr line, as
# must PHRASE_REGEX (extended regex, case-insensitive).
check() {
	local name=$1 phrase=$2 file=$3 rc lines
	shift 3
	local err=$tmp/$name.stderr out=$tmp/$name.stdout

	timeout -k 5 "$timeout_s" "$xenner" "${extra[@]}" "$@" </dev/null >"$out" 2>"$err"
	rc=$?
	lines=$(grep -c '' "$err")
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		fail "$name" "xenner did not exit within ${timeout_s}s; stderr $(show "$err")"
	elif [ $rc -ne 1 ]; then
		fail "$name" "exit status $rc, expected 1; stderr $(show "$err"), stdout $(show "$out")"
	elif [ "$lines" -ne 1 ]; then
		fail "$name" "$lines lines on stderr, expected exactly 1: $(show "$err")"
	elif [ -n "$(tail -c 1 "$err")" ]; then
		fail "$name" "the stderr line does not end in a newline: $(show "$err")"
	elif ! grep -qF -- "$file" "$err"; then
		fail "$name" "the stderr line does not name $file: $(show "$err")"
	elif ! grep -qiE -- "$phrase" "$err"; then
		fail "$name" "the stderr line does not say /$phrase/: $(show "$err")"
	else
		echo "PASS: cli/$name"
	fi
}

# kernel_case NAME KIND PHRASE_REGEX [extra xenner args...]
kernel_case() {
	local name=$1 kind=$2 phrase=$3 file=$tmp/$1.kernel
	shift 3
	if ! "$tmp/mkbadkernel" "$kind" "$file" 2>"$tmp/mk.err"; then
		fail "$name" "mkbadkernel $kind failed: $(show "$tmp/mk.err")"
		return
	fi
	check "$name" "$phrase" "$file" --kernel "$file" "$@"
}

kernel_case not-elf          notelf         'not an ELF file'
kernel_case truncated-elf    truncated      'truncated'
kernel_case no-xen-notes     nonotes        'no Xen notes'
kernel_case entry-outside    entry-outside  'entry point .* outside'
kernel_case unaligned-base   unaligned-base 'VIRT_BASE .* not page aligned'
kernel_case overlapping-segs overlap        'overlap'
kernel_case non-pae-32bit    nonpae32       'non-PAE'
kernel_case memory-too-small large          'memory|too small|does not fit|not enough|too large' --memory 1

missing=$tmp/no-such-kernel
check missing-file 'No such file|cannot open|can.t open|not found|does not exist' \
	"$missing" --kernel "$missing"

[ $failures -eq 0 ]
