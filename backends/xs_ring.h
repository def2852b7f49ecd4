/* xs_ring.h — the guest's xenstore ring page, served by the in-process xenstore engine. */
#ifndef BACKENDS_XS_RING_H
#define BACKENDS_XS_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "backends/xenstore.h"

/*
 * Replies and watch events wait here while the guest's response ring is
 * full. Requests are not read while more than XS_RING_OUT_SOFT bytes wait
 * (the guest must consume replies to make progress); watch events that
 * would take the queue past XS_RING_OUT_MAX are dropped and counted, so a
 * guest that never reads its ring cannot make the host grow.
 */
#define XS_RING_OUT_SOFT        (8 * 1024)
#define XS_RING_OUT_MAX         (64 * 1024)
#define XS_RING_MSG_MAX         (sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX)

struct xs_ring {
	struct xs_store *store;
	struct xs_conn *conn;
	struct xenstore_domain_interface *intf;         /* guest memory: indices are hostile */
	XENSTORE_RING_IDX req_cons, rsp_prod;           /* ours; the page's copies are only written */

	struct xsd_sockmsg hdr;                         /* the request being read */
	uint32_t in_used;                               /* bytes of it so far, header first */
	char in[XENSTORE_PAYLOAD_MAX];

	uint8_t out[XS_RING_OUT_MAX + 2 * XS_RING_MSG_MAX];
	uint32_t out_head, out_len;                     /* queued bytes: out[out_head, +out_len) */

	uint32_t error;                 /* XENSTORE_ERROR_* while the ring is dead (until a reconnect) */
	bool reset_pending;             /* drop the connection's watches/transactions outside the engine */
	bool in_process;
	bool notify;                    /* the guest is owed a notification */
	unsigned long dropped_events;

	void (*kick)(void *opaque);     /* output produced outside xs_ring_process: notify the guest */
	void *kick_opaque;
};

/*
 * Serve the ring at intf for domid on store: creates the connection,
 * advertises reconnection and the error field in server_features, and
 * marks the domain introduced (@introduceDomain fires). kick (may be
 * NULL) is called when watch events caused by other connections land in
 * the ring, i.e. when the guest must be notified although
 * xs_ring_process() is not running; without it the notification is
 * owed until the next xs_ring_process(). -ENOMEM on failure.
 */
int xs_ring_init(struct xs_ring *r, struct xs_store *store, unsigned int domid,
		 struct xenstore_domain_interface *intf, void (*kick)(void *opaque), void *kick_opaque);
/* Stop serving: frees the connection (watches, transactions). The page is left as it is. */
void xs_ring_destroy(struct xs_ring *r);

/*
 * Call when the guest signals the store event channel (and after output
 * space may have been freed): handles a reconnect request, reads every
 * complete request (keeping partial ones for the next call), runs them,
 * and writes replies and events that fit. Returns whether to notify the
 * guest's store event channel.
 */
bool xs_ring_process(struct xs_ring *r);

#endif
