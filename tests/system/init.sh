#!/bin/sh
# init.sh — /init of the system-test initramfs (built by tests/system/mkinitramfs.sh).
#
# Runs inside the guest under busybox sh (POSIX sh, no bashisms). It checks
# that the unmodified Debian kernel it booted under (xenner, or QEMU for the
# self-test) gives user space a working machine, prints one line per check and
# powers off. The expected machine comes from the kernel command line, so one
# initramfs serves every configuration:
#
#   xenner.test.vcpus=N      expected number of CPUs
#   xenner.test.mem=MiB      configured memory size
#   xenner.test.hosttime=S   the host's clock (seconds since the epoch) when it
#                            started the guest
#   xenner.test.timetol=S    how far past hosttime init may start (default 120)
#   xenner.test.disk=NAME    also check block device /dev/NAME (e.g. xvda)
#   xenner.test.fs=MODE      the ext4 file system on the disk (xvda unless
#                            xenner.test.disk says otherwise), and only that
#                            (plus cmdline and kernel-log): write (check the
#                            host's /seed files, write /new files with their
#                            sha256 list, sync, unmount), read (check both
#                            lists), ro (the disk is read-only: writes fail,
#                            the files read back), crash (write /crash.bin,
#                            fsync it and its directory, print
#                            XENNER-FSYNC-DONE <sha256>, wait to be killed)
#   xenner.test.net=IP,PEER  the network (xen-netfront), and only that (plus
#                            cmdline and kernel-log): eth0 gets IP/24 and
#                            prints its MAC (net-link), pings PEER (net-ping),
#                            sends 64 MiB of xt's pattern to PEER:5001
#                            (net-tx), prints XENNER-NET-LISTEN and receives
#                            64 MiB on port 5002 (net-rx); xenner.test.seed=N
#                            picks the pattern (default 1)
#   xenner.test.bench=S      benchmarks (bench/), not checks: O_DIRECT
#                            sequential 1 MiB and random 4 KiB reads and
#                            writes on the disk (xvda unless xenner.test.disk),
#                            S seconds each (bench-disk); with xenner.test.net
#                            also the TCP transfers (net-*, xenner.test.netmib
#                            MiB each way, default 64)
#   xenner.test.host=pvm     xenner runs directly on kvm_pvm: checks that host
#                            cannot pass print SKIP: system/<check>: <why>
#   xenner.test.micro=MS     benchmarks (bench/), not checks: system calls,
#                            fork+exec, page faults and pipe round trips per
#                            second, MS milliseconds each (bench-micro)
#   xenner.test.microfig=F   only figure F of those: syscall, fork-exec,
#                            page-fault or pipe-roundtrip
#   xenner.test.idle=S       only the cmdline, disk (with xenner.test.disk) and
#                            kernel-log checks, then print XENNER-IDLE and wait up to
#                            S seconds for the toolstack's shutdown request
#                            (control/shutdown = poweroff: the kernel runs
#                            poweroff, which signals init), then power off
#   xenner.test.shell=1      no checks: a busybox shell on the console
#                            (make demo); power off when it exits
#
# Defaults for these can be baked in by mkinitramfs.sh (/etc/xenner-test.conf,
# the same KEY=VALUE words); the command line overrides them. Values are
# checked before use: a bad value is a FAIL of system/cmdline (and of the
# checks that needed it), never a shell error.
#
# Output on the console, in this order:
#   XENNER-INIT-START
#   XENNER-INIT-PLAN: <names of the checks that will run>
#   XENNER-INIT-CLOCK start=<guest realtime, ms> uptime=<guest monotonic, ms>
#   PASS: system/<check>   or   FAIL: system/<check>: <why>     (one per check)
#   INFO: system/<check>: <measurements>                       (any number)
#   XENNER-INIT-CLOCK end=<guest realtime, ms>
#   XENNER-INIT-DONE passed=N failed=M
# then `poweroff -f`. Guest code may run ~10x slower than native in the
# nested test VM; one boot's checks must stay well under 30 s there. Measured:
# 2.3-4.3 s in QEMU TCG, 3.3 s (1 vCPU) and 5.5 s (2 vCPUs) for an HVM guest
# of the same kernel under QEMU/KVM inside the test VM (a failed run adds the
# kernel log dump: ~6 s more over an emulated serial port).

PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

mount -t devtmpfs dev /dev
# The initramfs has no /dev/console node: open the console now.
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
mkdir -p /tmp
mount -t tmpfs tmp /tmp

echo "XENNER-INIT-START"
# Kernel messages printed while the checks run would land inside our lines
# and spoil them; dmesg is examined by the kernel-log check instead.
dmesg -n 1 2>/dev/null
# Words from the command line must never be glob-expanded.
set -f

XT=/bin/xt
# Bound for one helper run (seconds): ample for guest code 10x slower than
# native; the helper also arms its own alarm() as a second line of defence.
XT_TIMEOUT=90
# How much earlier than hosttime the guest clock may read at init (seconds):
# hosttime and the guest clock are both truncated to whole seconds somewhere
# (the host's `date +%s`, an RTC read), which costs up to 1 s; 1 s more of slack.
CLOCK_EARLY_S=2

passed=0
failed=0
pass() {
	echo "PASS: system/$1"
	passed=$((passed + 1))
}
fail() {
	_c=$1
	shift
	echo "FAIL: system/$_c: $*"
	failed=$((failed + 1))
}
info() {
	_c=$1
	shift
	echo "INFO: system/$_c: $*"
}
# Print a line of untrusted text without interpreting it.
say() { printf '%s\n' "$*"; }

# The guest's clocks as "REALTIME_MS MONOTONIC_MS", or empty.
clocks() { "$XT" clocks 2>/dev/null; }
start_clocks=$(clocks)
start_ms=${start_clocks%% *}

# ---------------------------------------------------------------- parameters
vcpus='' mem='' hosttime='' timetol=120 disk='' shell=0 fs='' idle='' net_ip='' net_peer='' seed=1 bench='' micro='' microfig='' host='' netmib=64
cmdline_errors=''
vcpus_err="xenner.test.vcpus not given"
mem_err="xenner.test.mem not given"
hosttime_err="xenner.test.hosttime not given"

# uint VALUE MAXDIGITS: a decimal number without leading zeros (which the
# shell would read as octal) that the shell's arithmetic cannot overflow.
uint() {
	case $1 in
	'' | *[!0-9]* | 0?*) return 1 ;;
	esac
	[ ${#1} -le "$2" ]
}

# ipv4 WORD: a dotted quad of numbers 0..255.
ipv4() {
	case $1 in
	*[!0-9.]* | *..* | .* | *.) return 1 ;;
	esac
	_o=$(echo "$1" | tr '.' ' ')
	_n=0
	for _x in $_o; do
		uint "$_x" 3 || [ "$_x" = 0 ] || return 1
		[ "$_x" -le 255 ] || return 1
		_n=$((_n + 1))
	done
	[ $_n = 4 ]
}

cmdline_error() {
	cmdline_errors="$cmdline_errors${cmdline_errors:+; }$*"
}

# param WORD: take one xenner.test.KEY=VALUE word; other words are the
# kernel's business.
param() {
	case $1 in
	xenner.test.*=*) ;;
	xenner.test.*)
		cmdline_error "$1 has no value"
		return ;;
	*) return ;;
	esac
	_k=${1#xenner.test.}
	_k=${_k%%=*}
	_v=${1#*=}
	case $_k in
	vcpus)
		if uint "$_v" 3 && [ "$_v" -ge 1 ]; then
			vcpus=$_v vcpus_err=
		else
			vcpus='' vcpus_err="xenner.test.vcpus=$_v is not a CPU count"
			cmdline_error "$vcpus_err"
		fi ;;
	mem)
		if uint "$_v" 7 && [ "$_v" -ge 1 ]; then
			mem=$_v mem_err=
		else
			mem='' mem_err="xenner.test.mem=$_v is not a size in MiB"
			cmdline_error "$mem_err"
		fi ;;
	hosttime)
		if uint "$_v" 12; then
			hosttime=$_v hosttime_err=
		else
			hosttime='' hosttime_err="xenner.test.hosttime=$_v is not a time in seconds"
			cmdline_error "$hosttime_err"
		fi ;;
	timetol)
		if uint "$_v" 6; then
			timetol=$_v
		else
			cmdline_error "xenner.test.timetol=$_v is not a number of seconds"
		fi ;;
	disk)
		case $_v in
		'' | *[!a-z0-9]*)
			disk=
			cmdline_error "xenner.test.disk=$_v is not a block device name (a-z, 0-9)" ;;
		*)
			if [ ${#_v} -le 16 ]; then
				disk=$_v
			else
				cmdline_error "xenner.test.disk=$_v is too long"
			fi ;;
		esac ;;
	fs)
		case $_v in
		write | read | ro | crash) fs=$_v ;;
		*) cmdline_error "xenner.test.fs=$_v is not write, read, ro or crash" ;;
		esac ;;
	net)
		_ip=${_v%%,*} _peer=${_v#*,}
		if ipv4 "$_ip" && ipv4 "$_peer" && [ "$_ip" != "$_v" ]; then
			net_ip=$_ip net_peer=$_peer
		else
			cmdline_error "xenner.test.net=$_v is not IP,PEER (two IPv4 addresses)"
		fi ;;
	bench)
		if uint "$_v" 3 && [ "$_v" -ge 1 ]; then
			bench=$_v
		else
			cmdline_error "xenner.test.bench=$_v is not a number of seconds (1-999)"
		fi ;;
	host)
		case $_v in
		pvm) host=pvm ;;
		*) cmdline_error "xenner.test.host=$_v is not pvm" ;;
		esac ;;
	microfig)
		case $_v in
		syscall|fork-exec|page-fault|pipe-roundtrip) microfig=$_v ;;
		*) cmdline_error "xenner.test.microfig=$_v is not syscall, fork-exec, page-fault or pipe-roundtrip" ;;
		esac ;;
	micro)
		if uint "$_v" 5 && [ "$_v" -ge 1 ]; then
			micro=$_v
		else
			cmdline_error "xenner.test.micro=$_v is not a number of milliseconds (1-99999)"
		fi ;;
	netmib)
		if uint "$_v" 4 && [ "$_v" -ge 1 ] && [ "$_v" -le 4096 ]; then
			netmib=$_v
		else
			cmdline_error "xenner.test.netmib=$_v is not a size in MiB (1-4096)"
		fi ;;
	seed)
		# The range of guest-helper.c's seed.
		if uint "$_v" 10 && [ "$_v" -le 1073741824 ]; then
			seed=$_v
		else
			cmdline_error "xenner.test.seed=$_v is not a number (0-1073741824)"
		fi ;;
	idle)
		if uint "$_v" 5; then
			idle=$_v
		else
			cmdline_error "xenner.test.idle=$_v is not a number of seconds"
		fi ;;
	shell)
		case $_v in
		0 | 1) shell=$_v ;;
		*) cmdline_error "xenner.test.shell=$_v is not 0 or 1" ;;
		esac ;;
	*)
		cmdline_error "unknown parameter xenner.test.$_k" ;;
	esac
}

if [ -f /etc/xenner-test.conf ]; then
	while read -r _w; do
		param "$_w"
	done < /etc/xenner-test.conf
fi
read -r cmdline < /proc/cmdline
for _w in $cmdline; do
	param "$_w"
done

# ---------------------------------------------------------------- shell mode
if [ "$shell" = 1 ] && [ -z "$cmdline_errors" ]; then
	echo "XENNER-SHELL: busybox sh on the console; 'exit' or 'poweroff -f' ends the guest"
	dmesg -n 7 2>/dev/null
	export HOME=/root PS1='xenner-guest:\w# ' TERM="${TERM:-linux}"
	mkdir -p /root
	cd /root || cd /
	setsid cttyhack sh -l
	poweroff -f
	sleep 10
	echo "XENNER-INIT-ERROR: poweroff -f returned"
	exit 1
fi

# ---------------------------------------------------------------- checks
check_cmdline() {
	if [ -n "$cmdline_errors" ]; then
		fail cmdline "$cmdline_errors"
	else
		pass cmdline
	fi
}

check_clock_start() {
	if [ -n "$hosttime_err" ]; then
		fail clock-start "$hosttime_err"
		return
	fi
	if ! uint "$start_ms" 18; then
		fail clock-start "cannot read the guest's clock ('$start_clocks')"
		return
	fi
	_d=$((start_ms / 1000 - hosttime))
	info clock-start "guest clock at init start minus host clock at launch: $_d s"
	# The guest starts after the host took hosttime, so its clock may not read
	# earlier (bar truncation); it may read later by the time the kernel took
	# to boot, which timetol bounds generously. A guest whose wallclock is
	# missing (1970), in another time zone or off by hours fails.
	if [ "$_d" -lt $((-CLOCK_EARLY_S)) ]; then
		fail clock-start "guest clock $((start_ms / 1000)) is $((-_d)) s behind the host's $hosttime"
	elif [ "$_d" -gt "$timetol" ]; then
		fail clock-start "guest clock $((start_ms / 1000)) is $_d s ahead of the host's $hosttime (limit $timetol s)"
	else
		pass clock-start
	fi
}

check_cpus() {
	if [ -n "$vcpus_err" ]; then
		fail cpus "$vcpus_err"
		return
	fi
	_info=$(grep -c '^processor' /proc/cpuinfo)
	_online=$(nproc 2>/dev/null)
	info cpus "/proc/cpuinfo lists $_info, nproc says $_online, want $vcpus"
	if [ "$_info" != "$vcpus" ] || [ "$_online" != "$vcpus" ]; then
		fail cpus "want $vcpus CPUs: /proc/cpuinfo lists $_info, nproc says $_online"
	else
		pass cpus
	fi
}

check_memory() {
	if [ -n "$mem_err" ]; then
		fail memory "$mem_err"
		return
	fi
	_kb=
	while read -r _key _val _unit; do
		if [ "$_key" = MemTotal: ]; then
			_kb=$_val
			break
		fi
	done < /proc/meminfo
	if ! uint "$_kb" 12; then
		fail memory "no MemTotal in /proc/meminfo"
		return
	fi
	# MemTotal is the RAM the kernel could hand out after boot: the
	# configured size minus the kernel image, the struct page array (~1.6%),
	# early page tables, the low 1 MiB, and for a Xen PV guest the
	# start-of-day area and p2m list. At 512 MiB that is 30-60 MiB depending
	# on the kernel build. So accept from the configured size minus a quarter
	# (at least 64 MiB, for small guests where the fixed costs dominate) up
	# to the configured size itself: more than that means the guest uses RAM
	# it was never given; much less means memory went missing.
	_max=$((mem * 1024))
	_slack=$((mem / 4))
	[ "$_slack" -ge 64 ] || _slack=64
	_min=$(((mem - _slack) * 1024))
	info memory "MemTotal $_kb kB ($((_kb / 1024)) MiB) of $mem MiB configured; accepted $((_min / 1024))..$mem MiB"
	if [ "$_kb" -gt "$_max" ]; then
		fail memory "MemTotal $_kb kB exceeds the configured $mem MiB"
	elif [ "$_kb" -lt "$_min" ]; then
		fail memory "MemTotal $_kb kB is less than $((_min / 1024)) MiB of the configured $mem MiB"
	else
		pass memory
	fi
}

# A fork/exec loop: 100 runs of the helper (a separate static ELF, so busybox
# cannot run it as a built-in applet without exec), each echoing its argument,
# in a subshell bounded by timeout.
check_fork_exec() {
	_t0=$(clocks)
	# shellcheck disable=SC2016 # the loop's $ expand in the inner shell
	_out=$(timeout -k 5 "$XT_TIMEOUT" sh -c '
		i=0 bad=0 first=
		while [ $i -lt 100 ]; do
			out=$('"$XT"' echo "run $i" 2>&1)
			st=$?
			if [ $st -ne 0 ] || [ "$out" != "run $i" ]; then
				bad=$((bad + 1))
				[ -n "$first" ] || first="run $i: status $st, output \"$out\""
			fi
			i=$((i + 1))
		done
		if [ $bad -ne 0 ]; then
			echo "$bad of 100 runs failed; first: $first"
			exit 1
		fi
		echo ok' 2>&1)
	_st=$?
	_t1=$(clocks)
	if [ $_st -eq 0 ] && [ "$_out" = ok ]; then
		if uint "${_t0#* }" 18 && uint "${_t1#* }" 18; then
			info fork-exec "100 fork+exec in $((${_t1#* } - ${_t0#* })) ms"
		fi
		pass fork-exec
	else
		fail fork-exec "status $_st: $_out"
	fi
}

# A 32-bit program on the 64-bit kernel: its system calls take the kernel's
# compat entry (int $0x80, or the vDSO's syscall/sysenter if the hypervisor
# delivers them).
check_compat32() {
	if [ "$host" = pvm ]; then
		echo "SKIP: system/compat32: kvm_pvm runs 32-bit code through KVM's instruction emulator, which has no SSE moves (glibc's movd: SIGILL)"
		return
	fi
	_out=$(timeout -k 5 "$XT_TIMEOUT" /bin/xt32 "$(uname -m)" 2>&1)
	_st=$?
	case $_out in
	"compat32 ok: 32-bit process"*)
		[ $_st -eq 0 ] && { info compat32 "$_out"; pass compat32; return; } ;;
	esac
	fail compat32 "$(say "$_out" | tr '\n' ' ')(status $_st)"
}

# run_xt CHECK ARGS...: run the helper, bounded, and judge it by its status.
run_xt() {
	_c=$1
	shift
	_out=$(timeout -k 5 "$XT_TIMEOUT" "$XT" "$@" 2>&1)
	_st=$?
	if [ $_st -eq 0 ]; then
		info "$_c" "$_out"
		pass "$_c"
	else
		case $_st in
		124 | 137 | 143) _out="timed out after $XT_TIMEOUT s${_out:+; said: $_out}" ;;
		esac
		fail "$_c" "$(say "$_out" | tr '\n' ' ')(status $_st)"
	fi
}

check_cpus_run_user() {
	if [ -n "$vcpus_err" ]; then
		fail cpus-run-user "$vcpus_err"
		return
	fi
	run_xt cpus-run-user cpus "$vcpus"
}

# The wall clock moves with the monotonic clock: across `sleep 1` both must
# advance by at least 1 s (a sleep may not end early), by at most 4 s (a
# timer that fires seconds late, or time that runs fast, is a bug; the slack
# covers a busy nested host and the helper runs around the sleep), and by
# the same amount within 250 ms (nothing adjusts the clock here: no NTP).
check_clock_advance() {
	_c0=$(clocks)
	sleep 1
	_c1=$(clocks)
	_r0=${_c0%% *} _m0=${_c0#* } _r1=${_c1%% *} _m1=${_c1#* }
	if ! uint "$_r0" 18 || ! uint "$_m0" 18 || ! uint "$_r1" 18 || ! uint "$_m1" 18; then
		fail clock-advance "cannot read the guest's clocks ('$_c0', '$_c1')"
		return
	fi
	_dr=$((_r1 - _r0))
	_dm=$((_m1 - _m0))
	_diff=$((_dr - _dm))
	[ "$_diff" -ge 0 ] || _diff=$((-_diff))
	info clock-advance "across sleep 1: realtime +$_dr ms, monotonic +$_dm ms"
	if [ "$_dm" -lt 995 ] || [ "$_dr" -lt 995 ]; then
		fail clock-advance "sleep 1 took realtime $_dr ms, monotonic $_dm ms: less than 1 s"
	elif [ "$_dm" -gt 4000 ] || [ "$_dr" -gt 4000 ]; then
		fail clock-advance "sleep 1 took realtime $_dr ms, monotonic $_dm ms: more than 4 s"
	elif [ "$_diff" -gt 250 ]; then
		fail clock-advance "realtime advanced $_dr ms but monotonic $_dm ms"
	else
		pass clock-advance
	fi
}

# Load the frontend modules mkinitramfs.sh packed (if any), once.
modules_loaded=0
load_modules() {
	[ $modules_loaded = 0 ] || return 0
	modules_loaded=1
	if [ -f /lib/xenner-modules/order ]; then
		while read -r _m; do
			insmod "/lib/xenner-modules/$_m" 2>/dev/null
		done < /lib/xenner-modules/order
	fi
}

# wait_disk CHECK: the frontend modules loaded, wait for /dev/$disk; a FAIL
# of CHECK and status 1 if it never came.
wait_disk() {
	load_modules
	_i=0
	while [ ! -b "/dev/$disk" ] && [ $_i -lt 100 ]; do
		usleep 100000
		_i=$((_i + 1))
	done
	if [ ! -b "/dev/$disk" ]; then
		# shellcheck disable=SC2012 # names for a message; globbing is off (set -f)
		fail "$1" "no block device /dev/$disk after 10 s; have: $(ls /sys/class/block 2>/dev/null | tr '\n' ' ')"
		return 1
	fi
}

# Write, flush, drop and read back 8 MiB of the raw device.
check_disk() {
	wait_disk disk || return
	run_xt disk disk "/dev/$disk" 8
}

# sums_ok CHECK LIST: the files of a sha256sum list (paths relative to its
# directory) have their sums; else a FAIL of CHECK and status 1.
sums_ok() {
	_out=$(cd "$(dirname "$2")" && sha256sum -c "$(basename "$2")" 2>&1)
	_st=$?
	if [ $_st -ne 0 ]; then
		fail "$1" "sha256sum -c $2: $(say "$_out" | grep -v ': OK$' | head -n 3 | tr '\n' ' ')"
		return 1
	fi
	info "$1" "$2: $(say "$_out" | grep -c ': OK$') files verified"
}

# The ext4 file system the host made (mke2fs -d) with /seed and its SHA256SUMS.
check_fs() {
	_c=fs-$fs
	wait_disk "$_c" || return
	mkdir -p /mnt
	case $fs in
	write)
		mount -t ext4 "/dev/$disk" /mnt || { fail "$_c" "mount /dev/$disk failed"; return; }
		sums_ok "$_c" /mnt/seed/SHA256SUMS || { umount /mnt; return; }
		mkdir -p /mnt/new
		for _n in 1 2 3; do
			dd if=/dev/urandom of="/mnt/new/f$_n" bs=65536 count=$((_n * 16)) 2>/dev/null ||
				{ fail "$_c" "writing /mnt/new/f$_n failed"; umount /mnt; return; }
		done
		(cd /mnt/new && sha256sum f1 f2 f3 > SHA256SUMS) ||
			{ fail "$_c" "sha256sum of the new files failed"; umount /mnt; return; }
		while read -r _l; do info "$_c" "wrote $_l"; done < /mnt/new/SHA256SUMS
		sync
		umount /mnt || { fail "$_c" "umount failed"; return; }
		pass "$_c" ;;
	read)
		mount -t ext4 -o ro "/dev/$disk" /mnt || { fail "$_c" "mount -o ro /dev/$disk failed"; return; }
		sums_ok "$_c" /mnt/seed/SHA256SUMS && sums_ok "$_c" /mnt/new/SHA256SUMS && pass "$_c"
		umount /mnt ;;
	ro)
		_ro=$(cat "/sys/block/$disk/ro" 2>/dev/null)
		if [ "$_ro" != 1 ]; then
			fail "$_c" "/sys/block/$disk/ro says '$_ro', not 1"
			return
		fi
		if dd if=/dev/zero of="/dev/$disk" bs=4096 count=1 conv=fsync 2>/dev/null; then
			fail "$_c" "writing to the read-only /dev/$disk succeeded"
			return
		fi
		mount -t ext4 -o ro "/dev/$disk" /mnt || { fail "$_c" "mount -o ro /dev/$disk failed"; return; }
		if touch /mnt/written 2>/dev/null; then
			fail "$_c" "creating a file on the read-only disk succeeded"
		else
			sums_ok "$_c" /mnt/seed/SHA256SUMS && pass "$_c"
		fi
		umount /mnt ;;
	crash)
		mount -t ext4 "/dev/$disk" /mnt || { fail "$_c" "mount /dev/$disk failed"; return; }
		dd if=/dev/urandom of=/mnt/crash.bin bs=65536 count=64 2>/dev/null ||
			{ fail "$_c" "writing /mnt/crash.bin failed"; return; }
		if ! sync /mnt/crash.bin || ! sync /mnt; then
			fail "$_c" "fsync of /mnt/crash.bin or /mnt failed"
			return
		fi
		_sum=$(sha256sum /mnt/crash.bin)
		echo "XENNER-FSYNC-DONE ${_sum%% *}"
		# The host kills xenner now; living on is a failure.
		sleep 120
		fail "$_c" "still running 120 s after the fsync: the host did not kill xenner" ;;
	esac
}

# The network: eth0 up with $net_ip/24 (net-link), then traffic with $net_peer.
check_net_link() {
	load_modules
	_i=0
	while [ ! -e /sys/class/net/eth0 ] && [ $_i -lt 100 ]; do
		usleep 100000
		_i=$((_i + 1))
	done
	if [ ! -e /sys/class/net/eth0 ]; then
		# shellcheck disable=SC2012 # names for a message; globbing is off (set -f)
		fail net-link "no eth0 after 10 s; have: $(ls /sys/class/net 2>/dev/null | tr '\n' ' ')"
		return
	fi
	ip link set lo up
	if ! ip addr add "$net_ip/24" dev eth0 || ! ip link set eth0 up; then
		fail net-link "cannot configure eth0 with $net_ip/24"
		return
	fi
	info net-link "eth0 mac $(cat /sys/class/net/eth0/address) mtu $(cat /sys/class/net/eth0/mtu)"
	pass net-link
}

check_net_ping() {
	_out=$(ping -c 3 -W 10 "$net_peer" 2>&1)
	if [ $? = 0 ]; then
		info net-ping "$(say "$_out" | grep -E 'packets transmitted|round-trip' | tr '\n' ' ')"
		pass net-ping
	else
		fail net-ping "ping $net_peer: $(say "$_out" | tail -n 2 | tr '\n' ' ')"
	fi
}

check_net_tx() {
	run_xt net-tx tcp-send "$net_peer" 5001 "$netmib" "$seed"
}

check_net_rx() {
	echo "XENNER-NET-LISTEN"
	run_xt net-rx tcp-recv 5002 "$netmib" "$seed"
}

# O_DIRECT throughput and IOPS on the disk, for bench/.
check_bench_disk() {
	wait_disk bench-disk || return
	_ok=1
	for _m in "seq-read 1024" "seq-write 1024" "rand-read 4" "rand-write 4"; do
		# shellcheck disable=SC2086 # mode and block size: two words
		_out=$(timeout -k 5 $((bench + 60)) "$XT" dio "/dev/$disk" $_m "$bench" 2>&1) || _ok=0
		info bench-disk "$_out"
	done
	if [ $_ok = 1 ]; then pass bench-disk; else fail bench-disk "a benchmark failed (see above)"; fi
}

# System call, fork+exec, page-fault and pipe rates, for bench/.
check_bench_micro() {
	# shellcheck disable=SC2086 # microfig: one word or none
	if _out=$(timeout -k 5 $((micro * 4 / 1000 + 120)) "$XT" micro "$micro" $microfig 2>&1); then
		info bench-micro "$_out"
		pass bench-micro
	else
		fail bench-micro "xt micro failed: $_out"
	fi
}

# Kernel warnings, oopses and BUGs while booting or running the checks.
check_kernel_log() {
	_bad=$(dmesg | grep -E 'WARNING: CPU|BUG:|Oops|Call Trace|general protection|segfault at' | head -n 5)
	if [ -n "$_bad" ]; then
		fail kernel-log "the kernel log has: $(say "$_bad" | tr '\n' '|')"
	else
		pass kernel-log
	fi
}

plan="cmdline clock-start cpus memory fork-exec compat32 mem-64m pipe-pingpong cpus-run-user clock-advance"
[ -n "$disk" ] && plan="$plan disk"
plan="$plan kernel-log"
if [ -n "$fs" ]; then
	disk=${disk:-xvda}
	plan="cmdline fs-$fs kernel-log"
elif [ -n "$bench" ]; then
	disk=${disk:-xvda}
	plan="cmdline bench-disk${net_ip:+ net-link net-tx net-rx} kernel-log"
elif [ -n "$micro" ]; then
	plan="cmdline bench-micro kernel-log"
elif [ -n "$net_ip" ]; then
	plan="cmdline net-link net-ping net-tx net-rx kernel-log"
elif [ -n "$idle" ]; then
	plan="cmdline${disk:+ disk} kernel-log"
fi
echo "XENNER-INIT-PLAN: $plan"
echo "XENNER-INIT-CLOCK start=$start_ms uptime=${start_clocks#* }"

for _check in $plan; do
	_before=$(clocks)
	case $_check in
	cmdline) check_cmdline ;;
	clock-start) check_clock_start ;;
	cpus) check_cpus ;;
	memory) check_memory ;;
	fork-exec) check_fork_exec ;;
	compat32) check_compat32 ;;
	mem-64m) run_xt mem-64m mem 64 ;;
	pipe-pingpong) run_xt pipe-pingpong pingpong 1000 ;;
	cpus-run-user) check_cpus_run_user ;;
	clock-advance) check_clock_advance ;;
	disk) check_disk ;;
	fs-*) check_fs ;;
	net-link) check_net_link ;;
	bench-disk) check_bench_disk ;;
	bench-micro) check_bench_micro ;;
	net-ping) check_net_ping ;;
	net-tx) check_net_tx ;;
	net-rx) check_net_rx ;;
	kernel-log) check_kernel_log ;;
	esac
	_after=$(clocks)
	if uint "${_before#* }" 18 && uint "${_after#* }" 18; then
		info "$_check" "took $((${_after#* } - ${_before#* })) ms"
	fi
done

if [ "$failed" -ne 0 ]; then
	echo "INFO: system: the kernel log follows"
	dmesg | sed 's/^/dmesg: /'
fi
_end=$(clocks)
echo "XENNER-INIT-CLOCK end=${_end%% *}"
echo "XENNER-INIT-DONE passed=$passed failed=$failed"
if [ -n "$idle" ]; then
	# Xen's shutdown request: the kernel's orderly poweroff runs busybox
	# poweroff, which signals init with SIGUSR2 (SIGTERM for reboot).
	trap 'echo "XENNER-IDLE-SHUTDOWN"; poweroff -f' USR2 TERM
	echo "XENNER-IDLE"
	_i=0
	while [ $_i -lt "$idle" ]; do
		sleep 1
		_i=$((_i + 1))
	done
	echo "XENNER-IDLE-TIMEOUT"
fi
poweroff -f
sleep 10
echo "XENNER-INIT-ERROR: poweroff -f returned"
exit 1
