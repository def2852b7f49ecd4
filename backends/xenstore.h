/* xenstore.h — the in-process xenstore: node tree, permissions, watches, transactions, quotas, wire messages. */
#ifndef BACKENDS_XENSTORE_H
#define BACKENDS_XENSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* struct xs_permissions and XS_PERM_*; includes xen/io/xs_wire.h (libxen-dev). */
#include <xenstore_lib.h>

/*
 * The engine is pure logic: every call returns 0 or -errno (the errno
 * xenstored would send back, by name, in an XS_ERROR reply). It owns no
 * threads, fds or timers and is not thread-safe: call it from one thread.
 *
 * A connection is one client: domid 0 is privileged (dom0, host tools,
 * xenner's own backends) and may do anything; any other domid is a guest
 * and is held to the node permissions and to the quotas below.
 *
 * Everything a connection is sent (replies from xs_handle_message and
 * watch events, which other connections' writes can trigger at any time)
 * goes through its output function. The output function is called from
 * inside engine calls and must not call back into the engine: queue, and
 * return.
 *
 * Semantics follow C xenstored 4.17 (tools/xenstore/xenstored_*.c, the
 * version Debian's Xen ships) and docs/misc/xenstore.txt; where they
 * differ from current xenstored the comment on the function says so.
 */

struct xs_store;
struct xs_conn;

typedef void xs_output_fn(void *opaque, const struct xsd_sockmsg *hdr, const void *payload);

/* Limits for unprivileged connections; the defaults are xenstored 4.17's. */
struct xs_quota {
	unsigned int nodes;             /* nodes a domain owns (ENOSPC) */
	unsigned int node_size;         /* bytes of one node: header, perms, value, child names (ENOSPC) */
	unsigned int watches;           /* watches per connection (E2BIG, as 4.17) */
	unsigned int transactions;      /* open transactions per connection (ENOSPC) */
	unsigned int perms;             /* permission entries per node (ENOSPC) */
	unsigned int tx_nodes;          /* distinct nodes one transaction may touch (ENOSPC) */
};
#define XS_QUOTA_DEFAULT ((struct xs_quota){ .nodes = 1000, .node_size = 2048, .watches = 128, \
					     .transactions = 10, .perms = 5, .tx_nodes = 1024 })

/* ------------------------------------------------------------- the store */

/* Tests only: let n more allocations succeed, then fail one (-ENOMEM); -1 = never fail. */
void xs_test_fail_alloc_after(long n);

/*
 * A new store holds what xenstored starts with: "/", "/tool" and
 * "/tool/xenstored", owned by dom0 with no access for others. NULL on ENOMEM.
 */
struct xs_store *xs_store_new(void);
/* Frees the store and any connection still open (call xs_ring_destroy() first: a ring keeps its pointer). */
void xs_store_free(struct xs_store *s);
/* The quotas in force (change them before guests connect). */
struct xs_quota *xs_store_quota(struct xs_store *s);
/* Nodes currently owned by domid (what the node quota counts). */
unsigned int xs_store_nodes_owned(const struct xs_store *s, unsigned int domid);
/*
 * Check the store's invariants (xenstored's "check" control command): child
 * lists, names, permissions, the per-domain node counts, every open
 * transaction's tree. 0, -EIO if something is inconsistent, -ENOMEM.
 */
int xs_store_check(const struct xs_store *s);

/* Mark domid introduced (IS_DOMAIN_INTRODUCED says T) and fire @introduceDomain. */
int xs_domain_introduce(struct xs_store *s, unsigned int domid);
/* Mark domid gone and fire @releaseDomain (the domain shut down or died). */
void xs_domain_release(struct xs_store *s, unsigned int domid);
bool xs_domain_is_introduced(const struct xs_store *s, unsigned int domid);

/* --------------------------------------------------------- connections */

/* A client with this domid (0 = privileged). out may be NULL (no events). */
struct xs_conn *xs_conn_new(struct xs_store *s, unsigned int domid, xs_output_fn *out, void *opaque);
/* Drops the connection's watches and transactions, then frees it. */
void xs_conn_free(struct xs_conn *c);
/* What RESET_WATCHES does (and a ring reconnect): drop all watches and transactions. */
void xs_conn_reset(struct xs_conn *c);
unsigned int xs_conn_domid(const struct xs_conn *c);
/* Hand one message to c's output function (nothing if it has none). */
void xs_conn_send(struct xs_conn *c, const struct xsd_sockmsg *hdr, const void *payload);

/* ---------------------------------------------------------- operations */
/*
 * Paths are absolute ("/local/domain/1/name") or relative to the
 * connection's home, /local/domain/<domid> ("name"). tx is 0 or a
 * transaction id of this connection (-ENOENT if it is not one).
 */

/* Copy the value (at most XENSTORE_PAYLOAD_MAX bytes) into buf[cap]; *len = its size. -ERANGE if cap is too small. */
int xs_read(struct xs_conn *c, uint32_t tx, const char *path, void *buf, size_t cap, size_t *len);
/* Set the value, creating missing parents (empty values, parent's permissions, owner = creator if a guest). */
int xs_write(struct xs_conn *c, uint32_t tx, const char *path, const void *val, size_t len);
/* Create the node and missing parents if absent; an existing node is left alone. */
int xs_mkdir(struct xs_conn *c, uint32_t tx, const char *path);
/* Remove the node and its subtree. Absent node: fine if its parent exists, else -ENOENT. "/" is -EINVAL. */
int xs_rm(struct xs_conn *c, uint32_t tx, const char *path);
/* Child names, each NUL-terminated, into buf[cap]. -E2BIG if they do not fit. */
int xs_directory(struct xs_conn *c, uint32_t tx, const char *path, char *buf, size_t cap, size_t *len);
/*
 * The DIRECTORY_PART reply payload: "<generation>\0" then the child names
 * from byte offset off of the DIRECTORY list, as many whole names as fit
 * in XENSTORE_PAYLOAD_MAX, then one more "\0" if the list ends there. An
 * offset at or past the end gives "<generation>\0\0". buf must hold
 * XENSTORE_PAYLOAD_MAX bytes.
 */
int xs_directory_part(struct xs_conn *c, uint32_t tx, const char *path, uint32_t off,
		      char *buf, size_t cap, size_t *len);
/* The permissions: perms[0] is the owner and the default for domains not listed. *n = how many (fills at most max). */
int xs_get_perms(struct xs_conn *c, uint32_t tx, const char *path,
		 struct xs_permissions *perms, unsigned int max, unsigned int *n);
/*
 * Replace the permissions (owner or dom0 only). A guest may not change the
 * owner (-EPERM). "@introduceDomain" / "@releaseDomain" set who receives
 * those events.
 */
int xs_set_perms(struct xs_conn *c, uint32_t tx, const char *path,
		 const struct xs_permissions *perms, unsigned int n);

/*
 * Register a watch on path (or "@introduceDomain"/"@releaseDomain"): events
 * for the path and everything below it, with the path relative if the watch
 * path was. Does not send the initial event: call xs_watch_initial() after
 * the caller has acknowledged the watch (xenstored sends OK first).
 */
int xs_watch(struct xs_conn *c, const char *path, const char *token);
/* Send the event every new watch gets once: <path as given>, <token>. */
void xs_watch_initial(struct xs_conn *c, const char *path, const char *token);
int xs_unwatch(struct xs_conn *c, const char *path, const char *token);

/* A snapshot: reads and writes with this id see only the snapshot and the transaction's own writes. */
int xs_transaction_start(struct xs_conn *c, uint32_t *tx);
/*
 * End it. commit: apply its writes and fire their watches, or -EAGAIN if a
 * node it read or wrote changed meanwhile (nothing applied). Either way the
 * id is gone afterwards.
 */
int xs_transaction_end(struct xs_conn *c, uint32_t tx, bool commit);
/* Is tx one of c's open transactions? */
bool xs_transaction_exists(const struct xs_conn *c, uint32_t tx);

/* ------------------------------------------------------- wire messages */

/*
 * Handle one request from c: hdr and payload[hdr->len] as they came off the
 * ring or socket (payload need not be NUL-terminated; nothing past hdr->len
 * is read). The reply (the same type, or XS_ERROR with an xsd_errors name)
 * goes to c's output function with req_id and tx_id echoed.
 * Returns 0, or -EPROTO if hdr->len > XENSTORE_PAYLOAD_MAX: the stream can
 * no longer be trusted and the caller must drop the connection (no reply).
 */
int xs_handle_message(struct xs_store *s, struct xs_conn *c, const struct xsd_sockmsg *hdr,
		      const void *payload);
/* The xsd_errors name for an errno ("ENOENT"); "EINVAL" for anything not in the table. */
const char *xs_error_name(int err);

/* ------------------------------------------- what a Xen toolstack writes */

/* /local/domain/0/{domid,name}, as xen-init-dom0 writes them at boot. */
int xs_populate_dom0(struct xs_store *s);

struct xs_domain_info {
	unsigned int domid;
	const char *name;
	uint8_t uuid[16];
	uint64_t max_memkb;             /* memory/static-max */
	uint64_t target_memkb;          /* memory/target */
	unsigned int max_vcpus;         /* cpu/0 .. cpu/max_vcpus-1 */
	unsigned int online_vcpus;      /* the first online_vcpus are "online", the rest "offline" */
	uint64_t store_mfn;
	unsigned int store_port;
	uint64_t console_mfn;
	unsigned int console_port;
	const char *kernel, *ramdisk, *cmdline;       /* /vm/<uuid>/image/...; NULL = not written */
	uint64_t start_time_sec;        /* /vm/<uuid>/start_time, "<sec>.<centisec>" */
	unsigned int start_time_csec;
};

/*
 * Write the nodes libxl writes for a PV domU (domain, /vm/<uuid>, /libxl,
 * the console frontend and its backend in dom0) with libxl's permissions.
 * The node list and where each comes from is in xenstore_populate.c.
 */
int xs_populate_domain(struct xs_store *s, const struct xs_domain_info *d);

/*
 * A split device the way libxl__device_generic_add() writes it: frontend
 * /local/domain/<domid>/device/<kind>/<devid> (owned by the guest, dom0
 * reads), backend /local/domain/0/backend/<kind>/<domid>/<devid> (owned by
 * dom0, the guest reads), each with a link to the other, then the given
 * key/value pairs (NULL-terminated arrays: key, value, key, value, ..., NULL).
 */
int xs_populate_device(struct xs_store *s, unsigned int domid, const char *kind, unsigned int devid,
		       const char *const *backend_kv, const char *const *frontend_kv);

#endif
