#!/bin/bash
# fetch-kernels.sh — download and unpack Debian's current cloud and generic amd64 kernels; print their vmlinuz paths.
#
#   tests/system/fetch-kernels.sh
#
# Resolves the metapackages linux-image-cloud-amd64 and linux-image-amd64 to
# the kernel package they currently depend on (linux-image-<abi>-cloud-amd64,
# linux-image-<abi>-amd64), takes its -unsigned variant (the same kernel,
# without the Secure Boot signature wrapper), downloads it with
# `apt-get download` and unpacks it with `dpkg -x` into
#
#   ${XENNER_CACHE:-$HOME/.cache/xenner}/kernels/<package>_<version>/
#
# once per version (an unpacked package is a KROOT for mkinitramfs.sh
# --modules). Prints two lines on stdout, the cloud vmlinuz first:
#
#   .../kernels/linux-image-6.1.0-N-cloud-amd64-unsigned_V/boot/vmlinuz-6.1.0-N-cloud-amd64
#   .../kernels/linux-image-6.1.0-N-amd64-unsigned_V/boot/vmlinuz-6.1.0-N-amd64
#
# Progress and errors go to stderr. Runs apt-get update (as root) when apt
# does not know a package; offline, the newest cached copy is used. Parallel
# runs share the cache safely. Exit status 0 with both paths printed, else 1.
set -euo pipefail

readonly FLAVOURS="cloud generic"

msg() { echo "fetch-kernels: $*" >&2; }
fail() { msg "$*"; exit 1; }

cache_root() {
	if [ -n "${XENNER_CACHE:-}" ]; then echo "$XENNER_CACHE"
	elif [ -n "${HOME:-}" ]; then echo "$HOME/.cache/xenner"
	else echo "${TMPDIR:-/tmp}/xenner-cache-$(id -u)"
	fi
}
CACHE=$(cache_root)/kernels
mkdir -p "$CACHE" || fail "cannot create the cache directory $CACHE"

# flavour -> metapackage, and the kernel package name it depends on (a regex).
meta_of() { case $1 in cloud) echo linux-image-cloud-amd64 ;; generic) echo linux-image-amd64 ;; esac; }
image_re_of() {
	case $1 in
	cloud) echo 'linux-image-[0-9][^ ]*-cloud-amd64' ;;
	generic) echo 'linux-image-[0-9][^ ]*[0-9]-amd64' ;;   # not -cloud-, -rt-
	esac
}

APT_UPDATED=0
apt_update() {
	[ "$APT_UPDATED" = 0 ] && [ "$(id -u)" = 0 ] || return 1
	APT_UPDATED=1
	msg "running apt-get update to find the kernel packages"
	apt-get update -q >/dev/null 2>&1 || true
}

# "NAME VERSION" of the unsigned image package the flavour's metapackage
# points at now; empty if apt does not know it.
resolve() {
	local meta re name ver
	meta=$(meta_of "$1")
	re=$(image_re_of "$1")
	name=$(apt-cache depends "$meta" 2>/dev/null |
		sed -n "s/^ *|\{0,1\}Depends: \($re\)\$/\1/p" | sort -V | tail -n 1)
	[ -n "$name" ] || return 0
	name=$name-unsigned
	ver=$(apt-cache show --no-all-versions "$name" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
	[ -n "$ver" ] && echo "$name $ver"
	return 0
}

# resolve costs ~2 s; keep its answer until apt's package lists change.
resolve_cached() {
	local f=$CACHE/resolved-$1 pkg
	if [ -s "$f" ] && [ -z "$(find /var/lib/apt/lists -maxdepth 1 -newer "$f" 2>/dev/null | head -n 1)" ]; then
		cat "$f"
		return 0
	fi
	pkg=$(resolve "$1")
	if [ -n "$pkg" ]; then
		{ echo "$pkg" > "$f.$$" && mv -f "$f.$$" "$f"; } 2>/dev/null || rm -f "$f.$$"
	fi
	echo "$pkg"
}

download() {  # DIR NAME VERSION
	(cd "$1" && apt-get download -q -o APT::Sandbox::User=root "$2=$3") >"$1/download.log" 2>&1
}

# Download and unpack NAME VERSION into $CACHE/NAME_VERSION unless it is there.
fetch() {
	local name=$1 ver=$2 dest=$CACHE/${1}_$2 tmp
	[ -f "$dest/.complete" ] && return 0
	msg "downloading $name $ver into $CACHE"
	tmp=$(mktemp -d "$CACHE/.tmp.XXXXXX") || fail "cannot create a directory in $CACHE"
	if ! download "$tmp" "$name" "$ver" && ! { apt_update && download "$tmp" "$name" "$ver"; }; then
		sed 's/^/    /' "$tmp/download.log" >&2
		rm -rf "$tmp"
		fail "could not download $name $ver"
	fi
	mkdir "$tmp/root"
	dpkg -x "$tmp"/*.deb "$tmp/root" || { rm -rf "$tmp"; fail "could not unpack $name $ver"; }
	touch "$tmp/root/.complete"
	# Another run may have won the race: then keep its copy.
	mv -T "$tmp/root" "$dest" 2>/dev/null || true
	rm -rf "$tmp"
	[ -f "$dest/.complete" ] || fail "unpacking $name $ver into $dest failed"
}

# The newest complete cached package of a flavour (offline fallback).
cached() {
	find "$CACHE" -mindepth 2 -maxdepth 2 -name .complete -path "$CACHE/linux-image-*" 2>/dev/null |
		sed 's|/.complete$||' | grep -E -- "/$(image_re_of "$1")-unsigned_[^/]*\$" | sort -V | tail -n 1
}

# The vmlinuz of an unpacked package (exactly one is expected).
vmlinuz_of() {
	local v
	v=$(find "$1/boot" -maxdepth 1 -name 'vmlinuz-*' 2>/dev/null | sort | head -n 1)
	[ -n "$v" ] && [ -f "$v" ] || fail "no boot/vmlinuz-* in $1"
	echo "$v"
}

for flavour in $FLAVOURS; do
	pkg=$(resolve_cached "$flavour")
	if [ -z "$pkg" ] && apt_update; then
		pkg=$(resolve_cached "$flavour")
	fi
	if [ -n "$pkg" ]; then
		read -r name ver <<<"$pkg"
		fetch "$name" "$ver"
		dest=$CACHE/${name}_$ver
	else
		dest=$(cached "$flavour")
		[ -n "$dest" ] || fail "apt knows no $(meta_of "$flavour") kernel and none is cached in $CACHE"
		msg "apt knows no $(meta_of "$flavour"); using the cached ${dest##*/}"
	fi
	vmlinuz_of "$dest"
done
