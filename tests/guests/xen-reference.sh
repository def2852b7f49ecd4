#!/bin/bash
# xen-reference.sh — run the pv64 test guests on real Xen (Debian's Xen 4.17
# under QEMU TCG, busybox dom0 in an initramfs) to compare with xenner.
#
# usage: xen-reference.sh GUEST_DIR [WORKDIR]
#   GUEST_DIR: build/guests (uses GUEST_DIR/pv64/*). Not part of `make check`:
#   it downloads ~75 MB of Debian packages and takes a few minutes.
# Debian's Xen has no CONFIG_PV32, so pv32 guests cannot run there. Real Xen
# refuses console_io to a domU (-EPERM); the guests then print through the PV
# console ring, which xenconsoled logs. Prints each guest's console and state.
set -euo pipefail

GUEST_DIR=$(realpath "$1")
WORK=${2:-$(mktemp -d)}
mkdir -p "$WORK/debs" && cd "$WORK"

kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
(cd debs && apt-get download -q xen-hypervisor-4.17-amd64 xen-utils-4.17 libxenmisc4.17 \
	libxenstore4 libxengnttab1 libxenevtchn1 libxencall1 libxendevicemodel1 \
	libxenforeignmemory1 libxenhypfs1 libxentoolcore1 libxentoollog1 libyajl2 "$kpkg")
rm -rf root ir && mkdir root
for d in debs/*.deb; do dpkg -x "$d" root; done
kver=${kpkg#linux-image-}

mkdir -p ir/{bin,etc/xen,proc,sys,dev,tmp,guests,lib/modules,lib64,lib/x86_64-linux-gnu,usr/lib}
mkdir -p ir/var/{lib/xen,lib/xenstored,run,log/xen/console}
touch ir/etc/xen/xl.conf
cp "$(command -v busybox)" ir/bin/busybox
cp -a root/usr/lib/xen-4.17 root/usr/lib/x86_64-linux-gnu ir/usr/lib/
for m in xen-evtchn xen-privcmd xen-gntdev xen-gntalloc xenfs/xenfs; do
	cp "root/lib/modules/$kver/kernel/drivers/xen/$m.ko" ir/lib/modules/
done
export LD_LIBRARY_PATH=$PWD/root/usr/lib/x86_64-linux-gnu
for b in xl xenstored xenconsoled xen-init-dom0; do ldd "root/usr/lib/xen-4.17/bin/$b"; done |
	awk '/=> \// {print $3}' | grep -v "^$PWD" | sort -u |
	while read -r lib; do cp -L "$lib" ir/lib/x86_64-linux-gnu/; done
cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 ir/lib/x86_64-linux-gnu/	# pthread_cancel
cp -L /lib64/ld-linux-x86-64.so.2 ir/lib64/
cp "$GUEST_DIR"/pv64/* ir/guests/ 2>/dev/null || true
rm -f ir/guests/guest.lds

cat > ir/init <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/usr/lib/xen-4.17/bin
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/pts; mount -t devpts devpts /dev/pts
mount -t tmpfs tmp /var/run; mkdir -p /var/run/xen /var/run/xenstored
for m in xen-evtchn xen-privcmd xen-gntdev xen-gntalloc xenfs; do insmod /lib/modules/$m.ko; done
mount -t xenfs xenfs /proc/xen
xenstored --pid-file /var/run/xenstored.pid
xen-init-dom0
xenconsoled --log=guest --log-dir=/var/log/xen/console &
sleep 1
for k in /guests/*; do
	g=${k##*/}
	printf 'type="pv"\nname="%s"\nkernel="%s"\nmemory=64\non_poweroff="preserve"\non_crash="preserve"\n' \
		"$g" "$k" > /tmp/$g.cfg
	case $g in smp) echo 'vcpus=2' >> /tmp/$g.cfg ;; esac	# as run-guests.sh options()
	echo "=== xl create $g"
	xl create -q /tmp/$g.cfg
	i=0
	while [ $i -lt 60 ]; do
		st=$(xl list $g 2>/dev/null | awk 'NR==2 {print $5}')
		case $st in *s*) break ;; esac
		sleep 1; i=$((i + 1))
	done
	sleep 2	# let xenconsoled drain the ring
	echo "=== $g: state $st (s: shut down, c: crashed)"
	sed 's/^/    | /' /var/log/xen/console/guest-$g.log
	xl destroy $g
done
echo "=== xl dmesg (tail)"
xl dmesg | tail -20
poweroff -f
INIT
chmod +x ir/init
(cd ir && find . | cpio -o -H newc 2>/dev/null | gzip -1) > initrd.gz
zcat root/boot/xen-4.17-amd64.gz > xen

# Design notes: TCG, -cpu max, multiboot with the gunzipped xen, smap=0.
timeout 900 qemu-system-x86_64 -accel tcg -cpu max -m 2048 -smp 1 -no-reboot \
	-display none -monitor none -serial stdio \
	-kernel xen -append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M smap=0 loglvl=all guest_loglvl=all" \
	-initrd "root/boot/vmlinuz-$kver console=hvc0 loglevel=4,initrd.gz" |
	awk '/^=== / {on = 1} on && !/^\[ *[0-9]/'	# from the first guest on, minus dom0 printk
