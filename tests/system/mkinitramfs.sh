#!/bin/bash
# mkinitramfs.sh — build the system tests' busybox initramfs (cpio newc, gzip).
#
#   tests/system/mkinitramfs.sh OUT.cpio.gz [--vcpus N] [--memory MiB]
#                               [--disk[=NAME]] [--modules KROOT] [--shell]
#
# The initramfs holds busybox (Debian's busybox-static) with all its applets,
# /bin/xt (tests/system/guest-helper.c, compiled here with gcc -static),
# /bin/xt32 (tests/system/compat32.c, gcc -m32 -static) and
# /init (tests/system/init.sh), which runs the system checks and powers off.
# What the checks expect comes from the kernel command line
# (xenner.test.vcpus=N xenner.test.mem=MiB xenner.test.hosttime=S ...; see
# init.sh), so one initramfs serves every configuration. The options only
# bake in defaults that the command line overrides:
#
#   --vcpus N        xenner.test.vcpus=N
#   --memory MiB     xenner.test.mem=MiB
#   --disk[=NAME]    xenner.test.disk=NAME (default xvda): also check the
#                    block device /dev/NAME (write, flush, read back)
#   --modules KROOT  an unpacked Debian kernel package (KROOT/lib/modules/KVER):
#                    pack its frontend modules (xen-blkfront, xen-netfront,
#                    and virtio_pci + virtio_blk for QEMU) and their
#                    dependencies, which the disk and network checks load;
#                    both Debian kernels build them as modules. Ties the
#                    initramfs to that kernel.
#   --shell          xenner.test.shell=1: a shell on the console instead of
#                    the checks (make demo)
#
# Needs busybox-static, gcc, libc6-dev (static libc), cpio, gzip; kmod for
# --modules. Exit status 0, or 1 with one "mkinitramfs:" line on stderr.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
MODULES="xen-blkfront xen-netfront virtio_pci virtio_blk"

die() { echo "mkinitramfs: $*" >&2; exit 1; }
usage() {
	sed -n '/^#   tests\/system\/mkinitramfs.sh/,/^#                               \[--disk/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 1
}
is_uint() { [[ $1 =~ ^[1-9][0-9]{0,6}$ ]]; }

OUT=
DEFAULTS=()
KROOT=
while [ $# -gt 0 ]; do
	case $1 in
	--vcpus|--memory|--modules)
		[ $# -ge 2 ] || die "option $1 needs a value"
		case $1 in
		--vcpus) is_uint "$2" || die "--vcpus: '$2' is not a CPU count"
			DEFAULTS+=("xenner.test.vcpus=$2") ;;
		--memory) is_uint "$2" || die "--memory: '$2' is not a size in MiB"
			DEFAULTS+=("xenner.test.mem=$2") ;;
		--modules) KROOT=$2 ;;
		esac
		shift 2 ;;
	--vcpus=*|--memory=*|--modules=*)
		set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
	--disk) DEFAULTS+=("xenner.test.disk=xvda"); shift ;;
	--disk=*)
		[[ ${1#*=} =~ ^[a-z0-9]{1,16}$ ]] || die "--disk: '${1#*=}' is not a block device name"
		DEFAULTS+=("xenner.test.disk=${1#*=}"); shift ;;
	--shell) DEFAULTS+=("xenner.test.shell=1"); shift ;;
	-h|--help) usage ;;
	-*) die "unknown option $1 (see --help)" ;;
	*)
		[ -z "$OUT" ] || die "more than one output file given ('$OUT', '$1')"
		OUT=$1; shift ;;
	esac
done
[ -n "$OUT" ] || usage

BUSYBOX=$(command -v busybox) || die "busybox not found (Debian package busybox-static)"
BUSYBOX=$(readlink -f "$BUSYBOX")
# A dynamic busybox would need its libraries in the initramfs too.
if LC_ALL=C ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "$BUSYBOX is dynamically linked; install Debian's busybox-static"
fi
command -v gcc >/dev/null || die "gcc not found"
command -v cpio >/dev/null || die "cpio not found"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mkinitramfs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
STAGE=$WORK/root
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,root,lib}

cp "$BUSYBOX" "$STAGE/bin/busybox"
while read -r applet; do
	[ -e "$STAGE/$applet" ] || ln -s /bin/busybox "$STAGE/$applet"
done < <("$STAGE/bin/busybox" --list-full)

gcc -static -O2 -s -Wall -Wextra -Werror -o "$STAGE/bin/xt" "$HERE/guest-helper.c" 2>"$WORK/gcc.log" ||
	{ cat "$WORK/gcc.log" >&2; die "compiling guest-helper.c failed (is libc6-dev installed?)"; }
# A 32-bit program: the compat32 check runs it on the 64-bit kernel.
gcc -m32 -static -O2 -s -Wall -Wextra -Werror -o "$STAGE/bin/xt32" "$HERE/compat32.c" 2>"$WORK/gcc32.log" ||
	{ cat "$WORK/gcc32.log" >&2; die "compiling compat32.c with -m32 failed (is gcc-multilib installed?)"; }

install -m 755 "$HERE/init.sh" "$STAGE/init"
printf '%s\n' ${DEFAULTS[@]+"${DEFAULTS[@]}"} > "$STAGE/etc/xenner-test.conf"

# find_module NAME: the .ko file of module NAME (- and _ are the same).
find_module() {
	local key=${1//-/_}
	[ -n "${MODFILES[$key]:-}" ] || return 1
	printf '%s' "$MODDIR/${MODFILES[$key]}"
}

# add_module NAME: copy NAME after its dependencies, each once, in load order.
add_module() {
	local ko deps dep
	ko=$(find_module "$1") || die "module $1 not found under $MODDIR"
	[ -z "${ADDED[${1//-/_}]:-}" ] || return 0
	ADDED[${1//-/_}]=1
	deps=$(modinfo -F depends "$ko") || die "modinfo $ko failed"
	for dep in ${deps//,/ }; do
		add_module "$dep"
	done
	case $ko in
	*.ko) cp "$ko" "$STAGE/lib/xenner-modules/" ;;
	*.ko.xz) xz -dc "$ko" > "$STAGE/lib/xenner-modules/$(basename "${ko%.xz}")" ;;
	*.ko.zst) zstd -qdc "$ko" > "$STAGE/lib/xenner-modules/$(basename "${ko%.zst}")" ;;
	*.ko.gz) gzip -dc "$ko" > "$STAGE/lib/xenner-modules/$(basename "${ko%.gz}")" ;;
	*) die "unknown module format: $ko" ;;
	esac
	basename "${ko%.ko*}.ko" >> "$STAGE/lib/xenner-modules/order"
}

if [ -n "$KROOT" ]; then
	command -v modinfo >/dev/null || die "modinfo not found (Debian package kmod)"
	kvers=("$KROOT"/lib/modules/*/)
	if [ ${#kvers[@]} -ne 1 ] || [ ! -d "${kvers[0]}" ]; then
		die "--modules: want exactly one KROOT/lib/modules/<version>/ in $KROOT"
	fi
	MODDIR=${kvers[0]%/}
	declare -A MODFILES=() ADDED=()
	while IFS= read -r -d '' f; do
		name=${f##*/}
		name=${name%%.ko*}
		MODFILES[${name//-/_}]=${f#"$MODDIR"/}
	done < <(find "$MODDIR/kernel" -name '*.ko*' -print0)
	mkdir -p "$STAGE/lib/xenner-modules"
	for m in $MODULES; do
		add_module "$m"
	done
fi

mkdir -p "$(dirname "$OUT")"
# Owner root in the archive whoever runs this; the kernel unpacks gzip itself.
(cd "$STAGE" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) |
	gzip -6n > "$WORK/initramfs.cpio.gz" || die "cpio | gzip failed"
mv -f "$WORK/initramfs.cpio.gz" "$OUT" || die "cannot write $OUT"
