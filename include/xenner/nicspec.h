/* nicspec.h — xl vif specifications (`--nic`, xl.cfg `vif = [...]`), parsed and validated. */
#ifndef XENNER_NICSPEC_H
#define XENNER_NICSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Xen's xl-network-configuration: comma-separated KEY=VALUE items (spaces
 * around them allowed). Keys: mac, bridge, vifname (the host interface;
 * `tap` is taken as a synonym), script, ip, type (vif or ioemu), model
 * (emulated NICs only: ignored for a PV guest, as xl does), backend (0 or
 * Domain-0: xenner is the only backend), mtu. rate, gatewaydev and the
 * other keys of backends xenner does not have are refused by name.
 */
struct nic_spec {
	uint8_t mac[6];
	bool mac_given;         /* else Xen's 00:16:3e prefix and a stable suffix (nic_default_mac) */
	char bridge[16];        /* IFNAMSIZ; empty = none */
	char ifname[16];        /* the TAP; empty = xenner names it */
	char script[4096];      /* run like Xen's vif-bridge: "script online" / "script offline" */
	char ip[256];           /* written to xenstore for the script, as libxl does */
	unsigned mtu;           /* 0 = 1500 */
};

/* Parse spec into n. Returns 0, or -1 with one line in err naming the reason. */
int nic_spec_parse(const char *spec, struct nic_spec *n, char *err, size_t errlen);

/*
 * Xen's prefix 00:16:3e with a suffix derived from seed (e.g. the kernel
 * path) and the vif's index: the same guest gets the same MAC every run.
 */
void nic_default_mac(const char *seed, unsigned index, uint8_t mac[6]);

/* "00:16:3e:12:34:56" into buf[18]. */
void nic_format_mac(const uint8_t mac[6], char buf[18]);

#endif
