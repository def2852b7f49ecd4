#!/bin/bash
# options.sh XENNER — command-line errors and host refusal: exit 1, exactly one clear stderr line.
set -uo pipefail
XENNER=${1:?usage: options.sh XENNER}
GUEST=${GUEST:-build/guests/pv64/hello}
GUEST32=${GUEST32:-build/guests/pv32/hello}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect NAME STATUS PATTERN -- ARGS...: run xenner, check status and its one stderr line.
expect() {
	local name=$1 want=$2 pattern=$3
	shift 4
	local out="$tmp/out" errf="$tmp/err" status
	timeout 30 "$XENNER" "$@" >"$out" 2>"$errf"
	status=$?
	local lines
	lines=$(wc -l <"$errf")
	if [ "$status" -ne "$want" ]; then
		echo "FAIL: cli/$name: exit status $status, want $want; stderr: $(cat "$errf")"
	elif [ "$want" -ne 0 ] && [ "$lines" -ne 1 ]; then
		echo "FAIL: cli/$name: $lines stderr lines, want 1:"; sed 's/^/    /' "$errf"
	elif ! grep -Eq -- "$pattern" "$errf" "$out"; then
		echo "FAIL: cli/$name: output does not match /$pattern/: $(cat "$errf" "$out")"
	else
		echo "PASS: cli/$name"
	fi
}

expect no-arguments 1 "no kernel given" --
expect unknown-option 1 "unknown option '--frobnicate'" -- --kernel "$GUEST" --frobnicate 1
expect missing-value 1 "--memory needs a value" -- --kernel "$GUEST" --memory
expect memory-not-number 1 "memory: not a number: 'lots'" -- --kernel "$GUEST" --memory lots
expect vcpus-range 1 "vcpus: 99 out of range" -- --kernel "$GUEST" --vcpus 99
expect missing-ramdisk 1 "$tmp/none: No such file" -- --kernel "$GUEST" --ramdisk "$tmp/none"
expect kernel-is-directory 1 "$tmp: not a regular file" -- --kernel "$tmp"
expect disk-bad-vdev 1 "disk '/img,vda,w': .*'vda' is not an access mode, format or vdev" -- \
	--kernel "$GUEST" --disk /img,vda,w
expect disk-qcow2 1 "format 'qcow2' is not supported" -- --kernel "$GUEST" --disk /img,qcow2,xvda,w
expect disk-twice 1 "vdev xvda is given twice" -- --kernel "$GUEST" --disk file:/a,xvda,w \
	--disk phy:/dev/b,xvda,r
expect disk-missing-target 1 "disk xvda: cannot open $tmp/img for writing: No such file" -- \
	--kernel "$GUEST" --disk "format=raw, vdev=xvda, access=rw, target=$tmp/img"
expect disk-missing-target-ro 1 "disk xvdb: cannot open $tmp/none: No such file" -- \
	--kernel "$GUEST" --disk "$tmp/none,xvdb,r"
expect nic-bad-mac 1 "nic 'mac=00:16:3e:zz:00:01': mac: .* is not six hex octets" -- \
	--kernel "$GUEST" --nic mac=00:16:3e:zz:00:01
expect nic-rate 1 "nic 'bridge=br0,rate=10Mb/s': rate: not supported" -- \
	--kernel "$GUEST" --nic bridge=br0,rate=10Mb/s
expect nic-twice 1 "interface tap0 is given twice" -- --kernel "$GUEST" --nic vifname=tap0 \
	--nic tap=tap0
expect nic-unknown-key 1 "nic 'colour=red': unknown key 'colour'" -- --kernel "$GUEST" --nic colour=red
: >"$tmp/notsock"
expect xenstore-socket-file 1 "xenstore-socket: $tmp/notsock exists and is not a socket" -- \
	--kernel "$GUEST" --xenstore-socket "$tmp/notsock"
expect help 0 "usage: xenner --kernel FILE" -- --help
expect version 0 "KVM host kind: " -- --version
if [ -f "$GUEST" ] && [ -f "$GUEST32" ]; then
	expect dry-run 0 "dry run: .*64-bit PV kernel.* 256 MiB, 2 vCPU.*host KVM pvm, M2P at 0xffff808000000000; not booted" \
		-- --kernel "$GUEST" --memory 256 --vcpus 2 --host-kind pvm --dry-run
	expect dry-run-svm 0 "host KVM svm, M2P at 0xffff800000000000; not booted" \
		-- --kernel "$GUEST" --host-kind svm --dry-run
	# A 32-bit guest: PAE protected mode, but long mode's compatibility mode on kvm_pvm.
	expect dry-run-pv32-pvm 0 "32-bit PV kernel.*host KVM pvm, M2P at 0xf5800000, in long mode's compatibility mode; not booted" \
		-- --kernel "$GUEST32" --host-kind pvm --dry-run
	expect dry-run-pv32-svm 0 "32-bit PV kernel.*host KVM svm, M2P at 0xf5800000; not booted" \
		-- --kernel "$GUEST32" --host-kind svm --dry-run
else
	echo "FAIL: cli/dry-run: test guest $GUEST not built"
fi
