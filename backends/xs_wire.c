/* xs_wire.c — xenstore wire messages: check and decode a request, run it on the engine, encode the reply. */
#include "backends/xenstore.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <xen/xen.h>                    /* DOMID_SELF */

/*
 * The rules are xenstored 4.17's process_message() and do_*() handlers
 * (tools/xenstore/xenstored_core.c): unknown or reply-only types get
 * ENOSYS, dom0-only types EACCES for a guest, a tx_id that is not an open
 * transaction ENOENT (except for types that ignore it), then each handler
 * checks its own arguments: "one argument" means exactly one NUL, at the
 * end; string counts are counts of NULs, and bytes after the last NUL are
 * ignored where xenstored ignores them.
 */

#define MAX_PERMS_REPLY (XENSTORE_PAYLOAD_MAX / 3)     /* "n0\0" is the shortest entry */

struct req {
	struct xs_store *s;
	struct xs_conn *c;
	const struct xsd_sockmsg *hdr;
	char *buf;                      /* the payload with a NUL after it */
	uint32_t len;
	unsigned int nstr;              /* NUL bytes in the payload */
};

const char *xs_error_name(int err)
{
	for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (xsd_errors[i].errnum == err)
			return xsd_errors[i].errstring;
	return "EINVAL";                /* xenstored send_error() falls back to it too */
}

static void send_reply(struct req *r, uint32_t type, const void *data, size_t len)
{
	struct xsd_sockmsg h = { .type = type, .req_id = r->hdr->req_id, .tx_id = r->hdr->tx_id };

	if (len > XENSTORE_PAYLOAD_MAX) {
		const char *e = xs_error_name(E2BIG);

		h.type = XS_ERROR;
		data = e;
		len = strlen(e) + 1;
	}
	h.len = (uint32_t)len;
	xs_conn_send(r->c, &h, data);
}

static void send_error(struct req *r, int err)
{
	const char *e = xs_error_name(err);

	send_reply(r, XS_ERROR, e, strlen(e) + 1);
}

static int send_ok(struct req *r)
{
	send_reply(r, r->hdr->type, "OK", sizeof("OK"));
	return 0;
}

/* The payload if it is exactly one string (xenstored onearg()), else NULL. */
static const char *onearg(const struct req *r)
{
	return r->len && r->nstr == 1 && r->buf[r->len - 1] == '\0' ? r->buf : NULL;
}

/* The string after the one at s (s must be NUL-terminated inside the payload). */
static const char *next_str(const char *s)
{
	return s + strlen(s) + 1;
}

/* A decimal number, digits only, at most max. */
static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -EINVAL;
	}
	*out = v;
	return 0;
}

/* "r5" → {5, XS_PERM_READ}: n, r, w, b then a domid (xs_strings_to_perms, decimal only). */
static int parse_perm(const char *s, struct xs_permissions *p)
{
	static const char letters[] = "nrwb";   /* index = XS_PERM_READ | XS_PERM_WRITE bits */
	const char *l = *s ? strchr(letters, *s) : NULL;
	unsigned long id;

	if (!l || parse_uint(s + 1, 0xffff, &id))
		return -EINVAL;
	p->id = (unsigned int)id;
	p->perms = (unsigned int)(l - letters);
	return 0;
}

/* ------------------------------------------------------------ handlers */

/* READ and DIRECTORY: one path in, the node's value or child list out. */
static int path_query(struct req *r, enum xsd_sockmsg_type type)
{
	const char *path = onearg(r);
	char out[XENSTORE_PAYLOAD_MAX];
	size_t len;
	int ret;

	if (!path)
		return -EINVAL;
	if (type == XS_READ)
		ret = xs_read(r->c, r->hdr->tx_id, path, out, sizeof(out), &len);
	else
		ret = xs_directory(r->c, r->hdr->tx_id, path, out, sizeof(out), &len);
	if (!ret)
		send_reply(r, type, out, len);
	return ret;
}

static int do_directory(struct req *r)
{
	return path_query(r, XS_DIRECTORY);
}

static int do_directory_part(struct req *r)
{
	char out[XENSTORE_PAYLOAD_MAX];
	unsigned long off;
	size_t len;
	int ret;

	if (r->nstr != 2 || parse_uint(next_str(r->buf), UINT32_MAX, &off))
		return -EINVAL;
	ret = xs_directory_part(r->c, r->hdr->tx_id, r->buf, (uint32_t)off, out, sizeof(out), &len);
	if (!ret)
		send_reply(r, XS_DIRECTORY_PART, out, len);
	return ret;
}

static int do_read(struct req *r)
{
	return path_query(r, XS_READ);
}

static int do_get_perms(struct req *r)
{
	static const char letters[] = "nrwb";
	const char *path = onearg(r);
	struct xs_permissions perms[MAX_PERMS_REPLY];
	char out[XENSTORE_PAYLOAD_MAX + 16];
	unsigned int n;
	size_t len = 0;
	int ret;

	if (!path)
		return -EINVAL;
	ret = xs_get_perms(r->c, r->hdr->tx_id, path, perms, MAX_PERMS_REPLY, &n);
	if (ret)
		return ret;
	if (n > MAX_PERMS_REPLY)
		return -E2BIG;
	for (unsigned int i = 0; i < n && len <= XENSTORE_PAYLOAD_MAX; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%c%u",
					letters[perms[i].perms & 3], perms[i].id) + 1;
	send_reply(r, XS_GET_PERMS, out, len);  /* E2BIG if it got too long */
	return 0;
}

static int do_set_perms(struct req *r)
{
	struct xs_permissions perms[MAX_PERMS_REPLY];
	unsigned int n;
	const char *p;

	if (r->nstr < 2)
		return -EINVAL;
	n = r->nstr - 1;
	if (xs_conn_domid(r->c) != 0 && n > xs_store_quota(r->s)->perms)
		return -ENOSPC;
	if (n > MAX_PERMS_REPLY)
		return -EINVAL;
	p = next_str(r->buf);
	for (unsigned int i = 0; i < n; i++, p = next_str(p))
		if (parse_perm(p, &perms[i]))
			return -EINVAL;
	return xs_set_perms(r->c, r->hdr->tx_id, r->buf, perms, n) ?: send_ok(r);
}

static int do_write(struct req *r)
{
	size_t off;

	if (r->nstr < 1)
		return -EINVAL;         /* binary values may add NULs: only the path needs one */
	off = strlen(r->buf) + 1;
	return xs_write(r->c, r->hdr->tx_id, r->buf, r->buf + off, r->len - off) ?: send_ok(r);
}

static int do_mkdir(struct req *r)
{
	const char *path = onearg(r);

	if (!path)
		return -EINVAL;
	return xs_mkdir(r->c, r->hdr->tx_id, path) ?: send_ok(r);
}

static int do_rm(struct req *r)
{
	const char *path = onearg(r);

	if (!path)
		return -EINVAL;
	return xs_rm(r->c, r->hdr->tx_id, path) ?: send_ok(r);
}

static int do_watch(struct req *r)
{
	const char *token;
	int ret;

	if (r->nstr != 2)
		return -EINVAL;
	token = next_str(r->buf);
	ret = xs_watch(r->c, r->buf, token);
	if (ret)
		return ret;
	send_ok(r);
	xs_watch_initial(r->c, r->buf, token);  /* after the OK, as xenstored do_watch() */
	return 0;
}

static int do_unwatch(struct req *r)
{
	if (r->nstr != 2)
		return -EINVAL;
	return xs_unwatch(r->c, r->buf, next_str(r->buf)) ?: send_ok(r);
}

static int do_transaction_start(struct req *r)
{
	char out[16];
	uint32_t id;
	int ret;

	if (r->hdr->tx_id)
		return -EBUSY;          /* no nesting */
	ret = xs_transaction_start(r->c, &id);
	if (!ret)
		send_reply(r, XS_TRANSACTION_START, out, (size_t)snprintf(out, sizeof(out), "%u", id) + 1);
	return ret;
}

static int do_transaction_end(struct req *r)
{
	const char *arg = onearg(r);

	if (!arg || (strcmp(arg, "T") && strcmp(arg, "F")))
		return -EINVAL;
	if (!r->hdr->tx_id)
		return -ENOENT;
	return xs_transaction_end(r->c, r->hdr->tx_id, arg[0] == 'T') ?: send_ok(r);
}

static int do_get_domain_path(struct req *r)
{
	const char *arg = onearg(r);
	unsigned long domid;
	char out[32];

	if (!arg || parse_uint(arg, 0xffff, &domid))
		return -EINVAL;
	send_reply(r, XS_GET_DOMAIN_PATH, out,
		   (size_t)snprintf(out, sizeof(out), "/local/domain/%lu", domid) + 1);
	return 0;
}

static int do_is_domain_introduced(struct req *r)
{
	const char *arg = onearg(r);
	unsigned long domid;
	bool yes;

	if (!arg || parse_uint(arg, 0xffff, &domid))
		return -EINVAL;
	yes = domid == DOMID_SELF || xs_domain_is_introduced(r->s, (unsigned int)domid);
	send_reply(r, XS_IS_DOMAIN_INTRODUCED, yes ? "T" : "F", 2);
	return 0;
}

static int do_reset_watches(struct req *r)
{
	xs_conn_reset(r->c);
	return send_ok(r);
}

/* Known dom0-only types xenner does not take over the wire: domains are introduced in-process. */
static int do_unsupported(struct req *r)
{
	return -ENOSYS;
}

#define NOTID   1u      /* tx_id is ignored */
#define PRIV    2u      /* dom0 only */

static const struct {
	int (*fn)(struct req *r);
	unsigned int flags;
} handlers[XS_TYPE_COUNT] = {
	[XS_CONTROL]              = { do_unsupported, PRIV },
	[XS_DIRECTORY]            = { do_directory, 0 },
	[XS_READ]                 = { do_read, 0 },
	[XS_GET_PERMS]            = { do_get_perms, 0 },
	[XS_WATCH]                = { do_watch, NOTID },
	[XS_UNWATCH]              = { do_unwatch, NOTID },
	[XS_TRANSACTION_START]    = { do_transaction_start, 0 },
	[XS_TRANSACTION_END]      = { do_transaction_end, 0 },
	[XS_INTRODUCE]            = { do_unsupported, PRIV },
	[XS_RELEASE]              = { do_unsupported, PRIV },
	[XS_GET_DOMAIN_PATH]      = { do_get_domain_path, 0 },
	[XS_WRITE]                = { do_write, 0 },
	[XS_MKDIR]                = { do_mkdir, 0 },
	[XS_RM]                   = { do_rm, 0 },
	[XS_SET_PERMS]            = { do_set_perms, 0 },
	[XS_IS_DOMAIN_INTRODUCED] = { do_is_domain_introduced, PRIV },
	[XS_RESUME]               = { do_unsupported, PRIV },
	[XS_SET_TARGET]           = { do_unsupported, PRIV },
	[XS_RESET_WATCHES]        = { do_reset_watches, 0 },
	[XS_DIRECTORY_PART]       = { do_directory_part, 0 },
};

int xs_handle_message(struct xs_store *s, struct xs_conn *c, const struct xsd_sockmsg *hdr,
		      const void *payload)
{
	char buf[XENSTORE_PAYLOAD_MAX + 1];
	struct req r = { .s = s, .c = c, .hdr = hdr, .buf = buf, .len = hdr->len };
	int ret;

	if (hdr->len > XENSTORE_PAYLOAD_MAX)
		return -EPROTO;
	if (hdr->len)
		memcpy(buf, payload, hdr->len);
	buf[hdr->len] = '\0';
	for (uint32_t i = 0; i < hdr->len; i++)
		r.nstr += buf[i] == '\0';

	if (hdr->type >= XS_TYPE_COUNT || !handlers[hdr->type].fn)
		ret = -ENOSYS;
	else if ((handlers[hdr->type].flags & PRIV) && xs_conn_domid(c) != 0)
		ret = -EACCES;
	else if (!(handlers[hdr->type].flags & NOTID) && hdr->tx_id &&
		 !xs_transaction_exists(c, hdr->tx_id))
		ret = -ENOENT;
	else
		ret = handlers[hdr->type].fn(&r);
	if (ret)
		send_error(&r, -ret);
	return 0;
}
