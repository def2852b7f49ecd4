/* netback.h — virtual network interfaces: the netif backend on TAP devices. */
#ifndef BACKENDS_NETBACK_H
#define BACKENDS_NETBACK_H

#include <stdbool.h>
#include <stdint.h>
#include "backends/backend.h"

struct net_vif_config {
	unsigned devid;                 /* the vif's index: device/vif/<devid> */
	uint8_t mac[6];
	const char *ifname;             /* the TAP to create or attach to; NULL/"" = vif<domid>.<devid> */
	const char *bridge;             /* add the TAP to this bridge; NULL/"" = none */
	const char *script;             /* run "script online"/"script offline" like vif-bridge; NULL = none */
	const char *ip;                 /* written for the script, as libxl; NULL = none */
	unsigned mtu;                   /* 0 = 1500 */
};

struct net_vif;

/*
 * Create (or attach to) the TAP with IFF_VNET_HDR, bring it up, add it to
 * the bridge, run the script, and write libxl's vif nodes with the backend
 * in InitWait. NULL with one line in err.
 */
struct net_vif *netback_create(struct backend_host *h, const struct net_vif_config *cfg,
			       char *err, size_t errlen);
/* Guest gone: stop, "script offline", close the TAP (a TAP xenner created goes away). */
void netback_destroy(struct net_vif *v);

struct net_stats {
	uint64_t tx_packets, tx_bytes, tx_errors, tx_dropped;   /* guest -> TAP */
	uint64_t rx_packets, rx_bytes, rx_errors, rx_dropped;   /* TAP -> guest */
	uint64_t queues;                                        /* most queues connected at once */
};
void netback_stats(const struct net_vif *v, struct net_stats *out);
const char *netback_ifname(const struct net_vif *v);

#endif
