/* xenstore.c — the xenstore engine: a copy-on-write node tree with permissions, watches, transactions and quotas. */
#include "backends/xenstore.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Trees are persistent: a node is shared (refs > 1) by every tree that has
 * not changed it, and a tree that wants to change a shared node first
 * copies it and the path above it (tree_own). So a transaction's snapshot
 * costs one reference, and every change is built on a private copy of the
 * root and swapped in only once it has fully succeeded (struct batch):
 * an operation either happens completely, or not at all (-ENOMEM included).
 *
 * A node sits at the same path in every tree that shares it, so it can
 * carry its own name.
 *
 * Generations: every node created or changed gets the next value of the
 * store-wide counter, so (path, generation) identifies one version of a
 * node; 0 stands for "does not exist". A transaction records the generation
 * of each path it touches (the node, or for an absent node the levels that
 * are missing and the deepest one that exists) the first time it touches
 * it, and commits only if all of them are unchanged in the live tree
 * (xenstored_transaction.c: "Transaction conflicts are detected by checking
 * the generation count of all nodes read in the transaction"; xenstored
 * reads every node before it changes one). A commit then replays the
 * transaction's changed nodes onto the live tree, so changes elsewhere made
 * meanwhile survive.
 */

#define XS_PATH_BUF     (XENSTORE_ABS_PATH_MAX + 1)
#define HOME_PREFIX     "/local/domain/"
#define DOMID_LIMIT     0xffffu
/* xenstored's node record header (struct xs_tdb_record_hdr), counted by its node-size quota. */
#define NODE_HDR_BYTES  24

struct xs_node {
	unsigned int refs;              /* trees and parent nodes holding it */
	uint64_t gen;                   /* store generation of its last change */
	char *name;                     /* last path component; "" for the root */
	uint8_t *value;
	uint32_t value_len;
	uint32_t nperms;                /* >= 1 */
	struct xs_permissions *perms;   /* [0]: owner, and the access of domains not listed */
	uint32_t nchild, cap;
	struct xs_node **child;         /* in creation order, as DIRECTORY lists them */
	uint32_t names_len;             /* sum of strlen(name) + 1 over the children */
	struct xs_node *free_next;      /* work list while being freed */
};

struct xs_watch {
	struct xs_watch *next;
	char *path;                     /* absolute, or "@..." */
	char *token;
	size_t strip;                   /* relative watch: length of the home prefix to strip from events */
};

struct xs_access {
	char *path;
	uint64_t gen;                   /* generation when first touched; 0 = absent */
	bool modified;                  /* the transaction changed it: applied at commit */
	bool fire;                      /* an operation targeted it: watch event at commit */
};

struct xs_count {
	unsigned int domid;
	int nodes;
};

struct xs_tx {
	struct xs_tx *next;
	uint32_t id;
	struct xs_node *root;           /* the snapshot plus the transaction's own changes */
	struct xs_access *acc;
	unsigned int nacc, acccap;
	struct xs_count *delta;         /* node ownership changes made by the transaction */
	unsigned int ndelta, deltacap;
};

struct xs_conn {
	struct xs_conn *next;
	struct xs_store *store;
	unsigned int domid;
	xs_output_fn *out;
	void *opaque;
	struct xs_watch *watches;
	unsigned int nwatches;
	struct xs_tx *txs;
	unsigned int ntx;
	uint32_t next_tx;
};

struct xs_dom {
	unsigned int domid;
	unsigned int nodes;
	bool introduced;
};

struct xs_special {
	const char *name;
	struct xs_permissions *perms;
	unsigned int nperms;
};

struct xs_store {
	struct xs_node *root;
	uint64_t gen;
	struct xs_quota quota;
	struct xs_conn *conns;
	struct xs_dom *dom;
	unsigned int ndom, domcap;
	struct xs_special special[2];   /* @introduceDomain, @releaseDomain */
};

/* ------------------------------------------------------------ helpers */

/* Allocation, with a failure switch for the tests (xs_test_fail_alloc_after). */
static long fail_countdown = -1;

void xs_test_fail_alloc_after(long n)
{
	fail_countdown = n;
}

static bool alloc_fails(void)
{
	return fail_countdown >= 0 && fail_countdown-- == 0;
}

static void *xmalloc(size_t n)
{
	return alloc_fails() ? NULL : malloc(n);
}

static void *xcalloc(size_t n, size_t sz)
{
	return alloc_fails() ? NULL : calloc(n, sz);
}

static void *xrealloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : realloc(p, n);
}

static char *xstrdup(const char *s)
{
	return alloc_fails() ? NULL : strdup(s);
}

static char *xstrndup(const char *s, size_t n)
{
	return alloc_fails() ? NULL : strndup(s, n);
}

/* Grow *arr (elements of size sz, capacity *cap) to hold need elements. */
static int grow(void *arr, unsigned int *cap, unsigned int need, size_t sz)
{
	void **p = arr;
	unsigned int ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 4;
	while (ncap < need)
		ncap *= 2;
	n = xrealloc(*p, (size_t)ncap * sz);
	if (!n)
		return -ENOMEM;
	*p = n;
	*cap = ncap;
	return 0;
}

/* Copy len bytes into a new buffer in *dst (NULL for len 0). */
static int dup_bytes(void *dst, const void *src, size_t len)
{
	void **d = dst;

	*d = NULL;
	if (!len)
		return 0;
	*d = xmalloc(len);
	if (!*d)
		return -ENOMEM;
	memcpy(*d, src, len);
	return 0;
}

static bool privileged(const struct xs_conn *c)
{
	return c->domid == 0;
}

/* ------------------------------------------------------------- nodes */

static void node_unref(struct xs_node *n)
{
	struct xs_node *work;

	if (!n || --n->refs)
		return;
	n->free_next = NULL;
	for (work = n; work; ) {
		struct xs_node *x = work;

		work = x->free_next;
		for (uint32_t i = 0; i < x->nchild; i++) {
			struct xs_node *c = x->child[i];

			if (--c->refs == 0) {
				c->free_next = work;
				work = c;
			}
		}
		free(x->child);
		free(x->value);
		free(x->perms);
		free(x->name);
		free(x);
	}
}

/* A childless node called name[len] with a copy of perms. NULL on ENOMEM. */
static struct xs_node *node_new(const char *name, size_t len, const struct xs_permissions *perms,
				uint32_t nperms)
{
	struct xs_node *n = xcalloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->refs = 1;
	n->name = xstrndup(name, len);
	n->nperms = nperms;
	if (!n->name || dup_bytes(&n->perms, perms, nperms * sizeof(*perms))) {
		free(n->name);
		free(n);
		return NULL;
	}
	return n;
}

/* A private copy of n sharing its children. NULL on ENOMEM. */
static struct xs_node *node_clone(const struct xs_node *n)
{
	struct xs_node *c = node_new(n->name, strlen(n->name), n->perms, n->nperms);

	if (!c)
		return NULL;
	c->gen = n->gen;
	if (dup_bytes(&c->value, n->value, n->value_len) ||
	    dup_bytes(&c->child, n->child, n->nchild * sizeof(*n->child))) {
		c->nchild = 0;
		node_unref(c);
		return NULL;
	}
	c->value_len = n->value_len;
	c->nchild = c->cap = n->nchild;
	c->names_len = n->names_len;
	for (uint32_t i = 0; i < c->nchild; i++)
		c->child[i]->refs++;
	return c;
}

/* Index of the child called comp[len], or -1. */
static int child_index(const struct xs_node *n, const char *comp, size_t len)
{
	for (uint32_t i = 0; i < n->nchild; i++) {
		const char *name = n->child[i]->name;

		if (!strncmp(name, comp, len) && name[len] == '\0')
			return (int)i;
	}
	return -1;
}

/* Append child to n (n must be private to the tree being changed). */
static int node_add_child(struct xs_node *n, struct xs_node *child)
{
	if (grow(&n->child, &n->cap, n->nchild + 1, sizeof(*n->child)))
		return -ENOMEM;
	n->child[n->nchild++] = child;
	n->names_len += strlen(child->name) + 1;
	return 0;
}

static void node_del_child(struct xs_node *n, uint32_t i)
{
	struct xs_node *c = n->child[i];

	n->names_len -= strlen(c->name) + 1;
	memmove(&n->child[i], &n->child[i + 1], (n->nchild - i - 1) * sizeof(*n->child));
	n->nchild--;
	node_unref(c);
}

/*
 * The node at the canonical path, or NULL. If near is given it gets the
 * deepest node that exists on the way (the node itself if it exists) and
 * near_len the length of that node's path.
 */
static struct xs_node *tree_find(struct xs_node *root, const char *path,
				 struct xs_node **near, size_t *near_len)
{
	struct xs_node *n = root;
	const char *p = path + 1;
	size_t matched = 1;

	while (*p) {
		const char *e = strchrnul(p, '/');
		int i = child_index(n, p, (size_t)(e - p));

		if (i < 0) {
			if (near) {
				*near = n;
				*near_len = matched;
			}
			return NULL;
		}
		n = n->child[i];
		matched = (size_t)(e - path);
		p = *e ? e + 1 : e;
	}
	if (near) {
		*near = n;
		*near_len = matched;
	}
	return n;
}

/* Replace *slot by a private copy unless it is private already. */
static int own_slot(struct xs_node **slot)
{
	struct xs_node *c;

	if ((*slot)->refs == 1)
		return 0;
	c = node_clone(*slot);
	if (!c)
		return -ENOMEM;
	(*slot)->refs--;
	*slot = c;
	return 0;
}

/*
 * Make the existing node at path[len] and every node above it private to
 * the tree *rootp (copying shared ones), so it can be changed in place.
 * NULL on ENOMEM (or if the node does not exist, which callers rule out).
 */
static struct xs_node *tree_own(struct xs_node **rootp, const char *path, size_t len)
{
	struct xs_node **slot = rootp;
	const char *p = path + 1, *end = path + len;

	if (own_slot(slot))
		return NULL;
	while (p < end) {
		const char *e = memchr(p, '/', (size_t)(end - p));
		int i;

		if (!e)
			e = end;
		i = child_index(*slot, p, (size_t)(e - p));
		if (i < 0)
			return NULL;
		slot = &(*slot)->child[i];
		if (own_slot(slot))
			return NULL;
		p = e + 1;
	}
	return *slot;
}

/* Length of the parent's path ("/" for a top-level node). */
static size_t parent_len(const char *path, size_t len)
{
	while (len > 1 && path[len - 1] != '/')
		len--;
	return len > 1 ? len - 1 : 1;
}

/* out = dir + "/" + name; -EINVAL if too long. */
static int path_join(char *out, const char *dir, size_t dirlen, const char *name)
{
	size_t nl = strlen(name), pos = dirlen == 1 ? 1 : dirlen + 1;

	if (pos + nl >= XS_PATH_BUF)
		return -EINVAL;
	memmove(out, dir, dirlen);
	out[pos - 1] = '/';
	memcpy(out + pos, name, nl + 1);
	return 0;
}

/* ------------------------------------------------------ permissions */

/* What c may do to a node with these permissions (xenstored perm_for_conn). */
static unsigned int perm_for(const struct xs_conn *c, const struct xs_permissions *p, uint32_t n)
{
	const unsigned int all = XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER;

	if (privileged(c) || p[0].id == c->domid)
		return all;
	for (uint32_t i = 1; i < n; i++)
		if (p[i].id == c->domid)
			return p[i].perms & (XS_PERM_READ | XS_PERM_WRITE);
	return p[0].perms & (XS_PERM_READ | XS_PERM_WRITE);
}

static unsigned int node_perm(const struct xs_conn *c, const struct xs_node *n)
{
	return perm_for(c, n->perms, n->nperms);
}

/*
 * The error for a node that does not exist: ENOENT if the deepest existing
 * ancestor grants any of perm, else EACCES, so that a guest learns nothing
 * about nodes it may not see (xenstored errno_from_parents).
 */
static int missing_error(const struct xs_conn *c, const struct xs_node *near, unsigned int perm)
{
	return (node_perm(c, near) & perm) ? -ENOENT : -EACCES;
}

static bool perms_valid(const struct xs_permissions *p, unsigned int n)
{
	if (!n)
		return false;
	for (unsigned int i = 0; i < n; i++)
		if (p[i].id > DOMID_LIMIT || (p[i].perms & ~(XS_PERM_READ | XS_PERM_WRITE)))
			return false;
	return true;
}

/* xenstored's size of a node record, for the node-size quota of unprivileged writers. */
static bool node_too_big(const struct xs_store *s, const struct xs_conn *c, size_t nperms,
			 size_t value_len, size_t names_len)
{
	size_t size = NODE_HDR_BYTES + nperms * sizeof(struct xs_permissions) + value_len + names_len;

	return !privileged(c) && size >= s->quota.node_size;
}

/* ---------------------------------------------------------- paths */

static bool valid_chars(const char *p)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-/_@";

	return p[strspn(p, ok)] == '\0';
}

/* Length of "/local/domain/<id>/" at the start of path, or 0 (xenstored's %5u). */
static size_t home_prefix_len(const char *path)
{
	size_t pl = strlen(HOME_PREFIX), d = 0;

	if (strncmp(path, HOME_PREFIX, pl))
		return 0;
	while (d < 5 && path[pl + d] >= '0' && path[pl + d] <= '9')
		d++;
	return d && path[pl + d] == '/' ? pl + d + 1 : 0;
}

/*
 * xenstored is_valid_nodename(): absolute, no trailing or double slash,
 * [A-Za-z0-9-/_@] only, at most XENSTORE_REL_PATH_MAX bytes below a
 * domain's home (or below "/" elsewhere) and XENSTORE_ABS_PATH_MAX in all.
 */
static bool path_valid(const char *p)
{
	size_t len = strlen(p);

	if (p[0] != '/' || len > XENSTORE_ABS_PATH_MAX)
		return false;
	if (len > 1 && p[len - 1] == '/')
		return false;
	if (strstr(p, "//"))
		return false;
	if (len - home_prefix_len(p) > XENSTORE_REL_PATH_MAX)
		return false;
	return valid_chars(p);
}

/* Length of "/local/domain/<domid>" for c. */
static size_t home_len(const struct xs_conn *c)
{
	char tmp[32];

	return (size_t)snprintf(tmp, sizeof(tmp), HOME_PREFIX "%u", c->domid);
}

/* Make path absolute for c (relative paths are below c's home) into out[XS_PATH_BUF], unchecked. */
static int path_absolute(const struct xs_conn *c, const char *in, char *out)
{
	int n;

	if (in[0] == '/' || in[0] == '@')
		n = snprintf(out, XS_PATH_BUF, "%s", in);
	else
		n = snprintf(out, XS_PATH_BUF, HOME_PREFIX "%u/%s", c->domid, in);
	return n < 0 || n >= XS_PATH_BUF ? -EINVAL : 0;
}

/* The canonical, checked node path for in; -EINVAL if it is not one. */
static int path_canon(const struct xs_conn *c, const char *in, char *out)
{
	if (path_absolute(c, in, out) || !path_valid(out))
		return -EINVAL;
	return 0;
}

/* ---------------------------------------------------------- domains */

static struct xs_dom *dom_find(const struct xs_store *s, unsigned int domid)
{
	for (unsigned int i = 0; i < s->ndom; i++)
		if (s->dom[i].domid == domid)
			return &s->dom[i];
	return NULL;
}

static struct xs_dom *dom_get(struct xs_store *s, unsigned int domid)
{
	struct xs_dom *d = dom_find(s, domid);

	if (d)
		return d;
	if (grow(&s->dom, &s->domcap, s->ndom + 1, sizeof(*s->dom)))
		return NULL;
	d = &s->dom[s->ndom++];
	memset(d, 0, sizeof(*d));
	d->domid = domid;
	return d;
}

unsigned int xs_store_nodes_owned(const struct xs_store *s, unsigned int domid)
{
	const struct xs_dom *d = dom_find(s, domid);

	return d ? d->nodes : 0;
}

static struct xs_count *count_find(struct xs_count *a, unsigned int n, unsigned int domid)
{
	for (unsigned int i = 0; i < n; i++)
		if (a[i].domid == domid)
			return &a[i];
	return NULL;
}

/* The entry for domid in a count table, added if missing; NULL on ENOMEM. */
static struct xs_count *count_get(struct xs_count **a, unsigned int *n, unsigned int *cap,
				  unsigned int domid)
{
	struct xs_count *e = count_find(*a, *n, domid);

	if (e)
		return e;
	if (grow(a, cap, *n + 1, sizeof(**a)))
		return NULL;
	e = &(*a)[(*n)++];
	e->domid = domid;
	e->nodes = 0;
	return e;
}

/* Nodes domid owns as seen from a transaction (or live, tx NULL). */
static long nodes_owned(const struct xs_store *s, const struct xs_tx *tx, unsigned int domid)
{
	long n = xs_store_nodes_owned(s, domid);
	const struct xs_count *d = tx ? count_find(tx->delta, tx->ndelta, domid) : NULL;

	return n + (d ? d->nodes : 0);
}

/* ----------------------------------------------------------- events */

/* Child-or-self, with "/" the parent of everything (xenstored is_child). */
static bool is_child(const char *child, const char *parent)
{
	size_t len = strlen(parent);

	if (!strcmp(parent, "/"))
		return true;
	return !strncmp(child, parent, len) && (child[len] == '/' || child[len] == '\0');
}

static void send_event(struct xs_conn *c, const char *path, const char *token)
{
	size_t pl = strlen(path) + 1, tl = strlen(token) + 1;
	struct xsd_sockmsg hdr = { .type = XS_WATCH_EVENT };
	char buf[XENSTORE_PAYLOAD_MAX];

	if (pl + tl > XENSTORE_PAYLOAD_MAX)
		return;         /* xenstored drops over-long events too */
	memcpy(buf, path, pl);
	memcpy(buf + pl, token, tl);
	hdr.len = (uint32_t)(pl + tl);
	xs_conn_send(c, &hdr, buf);
}

static void send_watch_event(struct xs_conn *c, const struct xs_watch *w, const char *path)
{
	if (w->strip) {
		path += w->strip;
		if (*path == '/')
			path++;
	}
	send_event(c, path, w->token);
}

static struct xs_special *special_find(struct xs_store *s, const char *name)
{
	for (unsigned int i = 0; i < 2; i++)
		if (!strcmp(s->special[i].name, name))
			return &s->special[i];
	return NULL;
}

/*
 * May c hear about a change at path? The node or its parent must be
 * readable before or after the change (xenstored watch_permitted).
 */
static bool watch_permitted(const struct xs_conn *c, const char *path,
			    struct xs_node *before, struct xs_node *after)
{
	struct xs_node *roots[2] = { after, before };
	char parent[XS_PATH_BUF];
	size_t pl = parent_len(path, strlen(path));

	if (privileged(c))
		return true;
	memcpy(parent, path, pl);
	parent[pl] = '\0';
	for (unsigned int i = 0; i < 2; i++) {
		struct xs_node *n;

		if (!roots[i])
			continue;
		n = tree_find(roots[i], path, NULL, NULL);
		if (n && (node_perm(c, n) & XS_PERM_READ))
			return true;
		n = tree_find(roots[i], parent, NULL, NULL);
		if (n && (node_perm(c, n) & XS_PERM_READ))
			return true;
	}
	return false;
}

/*
 * Send the watch events for a change at path: to watches on path and its
 * ancestors, or with exact to watches on exactly path (the nodes below a
 * removed node). before/after are the live tree around the change.
 */
static void fire_watches(struct xs_store *s, const char *path, bool exact,
			 struct xs_node *before, struct xs_node *after)
{
	for (struct xs_conn *c = s->conns; c; c = c->next) {
		if (!c->watches)
			continue;
		if (path[0] == '@') {
			struct xs_special *sp = special_find(s, path);

			if (!sp || !(perm_for(c, sp->perms, sp->nperms) & XS_PERM_READ))
				continue;
		} else if (!watch_permitted(c, path, before, after)) {
			continue;
		}
		for (struct xs_watch *w = c->watches; w; w = w->next)
			if (exact ? !strcmp(path, w->path) : is_child(path, w->path))
				send_watch_event(c, w, path);
	}
}

/* ---------------------------------------------------- transactions */

static struct xs_tx *tx_find(const struct xs_conn *c, uint32_t id)
{
	for (struct xs_tx *t = c->txs; t; t = t->next)
		if (t->id == id)
			return t;
	return NULL;
}

static struct xs_access *acc_find(struct xs_tx *t, const char *path, size_t len)
{
	for (unsigned int i = 0; i < t->nacc; i++)
		if (!strncmp(t->acc[i].path, path, len) && t->acc[i].path[len] == '\0')
			return &t->acc[i];
	return NULL;
}

static void tx_free(struct xs_tx *t)
{
	for (unsigned int i = 0; i < t->nacc; i++)
		free(t->acc[i].path);
	free(t->acc);
	free(t->delta);
	node_unref(t->root);
	free(t);
}

/* -------------------------------------------------------------- views */

/* Where an operation reads and writes: the live tree, or one transaction's. */
struct view {
	struct xs_store *s;
	struct xs_conn *c;
	struct xs_tx *tx;               /* NULL: live */
	struct xs_node **rootp;
};

static int view_open(struct xs_conn *c, uint32_t txid, struct view *v)
{
	v->s = c->store;
	v->c = c;
	v->tx = NULL;
	v->rootp = &c->store->root;
	if (!txid)
		return 0;
	v->tx = tx_find(c, txid);
	if (!v->tx)
		return -ENOENT;
	v->rootp = &v->tx->root;
	return 0;
}

/* Record path[len] (generation gen, 0 = absent) as touched by the view's transaction. */
static int touch(struct view *v, const char *path, size_t len, uint64_t gen)
{
	struct xs_tx *t = v->tx;
	struct xs_access *a;

	if (!t || acc_find(t, path, len))
		return 0;
	if (!privileged(v->c) && t->nacc >= v->s->quota.tx_nodes)
		return -ENOSPC;
	if (grow(&t->acc, &t->acccap, t->nacc + 1, sizeof(*t->acc)))
		return -ENOMEM;
	a = &t->acc[t->nacc];
	a->path = xstrndup(path, len);
	if (!a->path)
		return -ENOMEM;
	a->gen = gen;
	a->modified = a->fire = false;
	t->nacc++;
	return 0;
}

/*
 * Look path up in the view, recording in a transaction what the result
 * depends on: the node, or for an absent node every absent level and the
 * deepest existing ancestor (xenstored records each node read_node reads).
 */
static int lookup(struct view *v, const char *path, struct xs_node **node,
		  struct xs_node **near, size_t *near_len)
{
	size_t len = strlen(path);
	int ret;

	*node = tree_find(*v->rootp, path, near, near_len);
	if (*node)
		return touch(v, path, len, (*node)->gen);
	ret = touch(v, path, *near_len, (*near)->gen);
	for (size_t l = *near_len + 1; !ret && l <= len; l++)
		if (path[l] == '/' || path[l] == '\0')
			ret = touch(v, path, l, 0);
	return ret;
}

/* Mark path[len] as changed by the view's transaction (touched before). */
static void mark(struct view *v, const char *path, size_t len, bool fire)
{
	struct xs_access *a = v->tx ? acc_find(v->tx, path, len) : NULL;

	if (a) {
		a->modified = true;
		a->fire |= fire;
	}
}

/* ------------------------------------------------------------ batches */

/*
 * One atomic change: built on a private reference to the view's root,
 * collecting node-count changes and (for the live tree) watch events, then
 * swapped in by batch_end() or thrown away by batch_abort().
 */
struct event {
	char *path;
	bool exact;
};

struct batch {
	struct view *v;
	struct xs_node *root;
	struct event *ev;
	unsigned int nev, evcap;
	struct xs_count *cnt;
	unsigned int ncnt, cntcap;
};

static void batch_begin(struct batch *b, struct view *v)
{
	memset(b, 0, sizeof(*b));
	b->v = v;
	b->root = *v->rootp;
	b->root->refs++;
}

static void batch_free(struct batch *b)
{
	for (unsigned int i = 0; i < b->nev; i++)
		free(b->ev[i].path);
	free(b->ev);
	free(b->cnt);
}

static int batch_abort(struct batch *b, int err)
{
	node_unref(b->root);
	batch_free(b);
	return err;
}

/* Queue a watch event (live changes only; a transaction's fire at commit). */
static int batch_event(struct batch *b, const char *path, bool exact)
{
	if (b->v->tx)
		return 0;
	if (grow(&b->ev, &b->evcap, b->nev + 1, sizeof(*b->ev)))
		return -ENOMEM;
	b->ev[b->nev].path = xstrdup(path);
	if (!b->ev[b->nev].path)
		return -ENOMEM;
	b->ev[b->nev++].exact = exact;
	return 0;
}

/* Count delta nodes more owned by domid; the target entry is made now so batch_end cannot fail. */
static int batch_count(struct batch *b, unsigned int domid, int delta)
{
	struct xs_count *e = count_get(&b->cnt, &b->ncnt, &b->cntcap, domid);
	struct xs_tx *t = b->v->tx;

	if (!e)
		return -ENOMEM;
	if (t ? !count_get(&t->delta, &t->ndelta, &t->deltacap, domid) : !dom_get(b->v->s, domid))
		return -ENOMEM;
	e->nodes += delta;
	return 0;
}

static void batch_end(struct batch *b)
{
	struct view *v = b->v;
	struct xs_node *before = *v->rootp;

	*v->rootp = b->root;
	for (unsigned int i = 0; i < b->ncnt; i++) {
		/* Both exist: batch_count() made them. */
		struct xs_count *e = v->tx ? count_find(v->tx->delta, v->tx->ndelta, b->cnt[i].domid) : NULL;
		struct xs_dom *d = v->tx ? NULL : dom_find(v->s, b->cnt[i].domid);

		if (e)
			e->nodes += b->cnt[i].nodes;
		if (d)
			d->nodes = (unsigned int)((int)d->nodes + b->cnt[i].nodes);
	}
	for (unsigned int i = 0; i < b->nev; i++)
		fire_watches(v->s, b->ev[i].path, b->ev[i].exact, before, *v->rootp);
	node_unref(before);
	batch_free(b);
}

/* Queue events and count changes for removing n (at path[len]) and its subtree, deepest first. */
static int delete_walk(struct batch *b, const struct xs_node *n, char *path, size_t len, bool top)
{
	int ret;

	for (uint32_t i = 0; i < n->nchild; i++) {
		ret = path_join(path, path, len, n->child[i]->name);
		if (!ret)
			ret = delete_walk(b, n->child[i], path, strlen(path), false);
		path[len] = '\0';
		if (ret)
			return ret;
	}
	ret = batch_count(b, n->perms[0].id, -1);
	return ret ? ret : batch_event(b, path, !top);
}

/* Remove the existing node at path and its subtree from the batch's tree. */
static int batch_delete(struct batch *b, const char *path)
{
	char buf[XS_PATH_BUF];
	size_t len = strlen(path), pl = parent_len(path, len);
	struct xs_node *n = tree_find(b->root, path, NULL, NULL), *parent;
	const char *base;
	int ret, i;

	if (!n || len >= XS_PATH_BUF)
		return 0;
	memcpy(buf, path, len + 1);
	ret = delete_walk(b, n, buf, len, true);
	if (ret)
		return ret;
	parent = tree_own(&b->root, path, pl);
	if (!parent)
		return -ENOMEM;
	base = path + pl + (pl > 1);
	i = child_index(parent, base, strlen(base));
	if (i < 0)
		return -EIO;
	node_del_child(parent, (uint32_t)i);
	parent->gen = ++b->v->s->gen;
	return 0;
}

/*
 * Create path, and every missing level from near_len on, below the
 * existing node at path[near_len]: empty values except the last (val),
 * the existing node's permissions with owner = creator for a guest.
 */
static int batch_create(struct batch *b, const char *path, size_t near_len,
			const struct xs_permissions *perms, uint32_t nperms,
			const void *val, size_t vlen)
{
	struct xs_store *s = b->v->s;
	struct xs_node *top = NULL, *last = NULL, *parent;
	const char *p = path + (near_len == 1 ? 1 : near_len + 1);
	int ret = 0;

	while (*p) {
		const char *e = strchrnul(p, '/');
		struct xs_node *n = node_new(p, (size_t)(e - p), perms, nperms);

		if (!n || (last && node_add_child(last, n))) {
			node_unref(n);
			ret = -ENOMEM;
			break;
		}
		n->gen = ++s->gen;
		if (!top)
			top = n;
		last = n;
		ret = batch_count(b, perms[0].id, 1);
		if (ret)
			break;
		p = *e ? e + 1 : e;
	}
	if (!ret && (!last || dup_bytes(&last->value, val, vlen)))
		ret = -ENOMEM;
	if (!ret) {
		last->value_len = (uint32_t)vlen;
		parent = tree_own(&b->root, path, near_len);
		if (!parent || node_add_child(parent, top))
			ret = -ENOMEM;
		else
			parent->gen = ++s->gen;
	}
	if (ret)
		node_unref(top);
	return ret;
}

/* ------------------------------------------------------- operations */

/* Open the view and canonicalize path: the start of every path operation. */
static int op_begin(struct xs_conn *c, uint32_t txid, const char *in, char *path, struct view *v)
{
	int ret = view_open(c, txid, v);

	return ret ? ret : path_canon(c, in, path);
}

/* The node at path if c has all of perm on it; else -ENOENT/-EACCES as xenstored answers. */
static int get_node(struct view *v, const char *path, unsigned int perm, struct xs_node **out)
{
	struct xs_node *near;
	size_t near_len;
	int ret = lookup(v, path, out, &near, &near_len);

	if (ret)
		return ret;
	if (!*out)
		return missing_error(v->c, near, perm);
	if ((node_perm(v->c, *out) & perm) != perm)
		return -EACCES;
	return 0;
}

int xs_read(struct xs_conn *c, uint32_t tx, const char *in, void *buf, size_t cap, size_t *len)
{
	char path[XS_PATH_BUF];
	struct view v;
	struct xs_node *n;
	int ret = op_begin(c, tx, in, path, &v);

	if (!ret)
		ret = get_node(&v, path, XS_PERM_READ, &n);
	if (ret)
		return ret;
	if (n->value_len > cap)
		return -ERANGE;
	if (n->value_len)
		memcpy(buf, n->value, n->value_len);
	*len = n->value_len;
	return 0;
}

/* Change the value of the existing node at path. */
static int set_value(struct view *v, const char *path, struct xs_node *n, const void *val, size_t len)
{
	struct batch b;
	struct xs_node *m;
	void *copy;
	int ret;

	if (node_too_big(v->s, v->c, n->nperms, len, n->names_len))
		return -ENOSPC;
	if (dup_bytes(&copy, val, len))
		return -ENOMEM;
	batch_begin(&b, v);
	m = tree_own(&b.root, path, strlen(path));
	ret = m ? batch_event(&b, path, false) : -ENOMEM;
	if (ret) {
		free(copy);
		return batch_abort(&b, ret);
	}
	free(m->value);
	m->value = copy;
	m->value_len = (uint32_t)len;
	m->gen = ++v->s->gen;
	batch_end(&b);
	mark(v, path, strlen(path), true);
	return 0;
}

/* Would creating path below near (path[near_len]) break a quota of an unprivileged writer? */
static int create_quota(struct view *v, const char *path, const struct xs_node *near, size_t near_len)
{
	size_t len = strlen(path), first = near_len == 1 ? 1 : near_len + 1;
	unsigned int levels = 1;

	for (size_t i = first; i < len; i++)
		levels += path[i] == '/';
	if (!privileged(v->c) &&
	    nodes_owned(v->s, v->tx, v->c->domid) + levels > v->s->quota.nodes)
		return -ENOSPC;
	/* The records xenstored writes: the parent with one more child, each new level with one child. */
	if (node_too_big(v->s, v->c, near->nperms, near->value_len,
			 near->names_len + strcspn(path + first, "/") + 1))
		return -ENOSPC;
	for (size_t i = first; i < len; i++)
		if (path[i] == '/' &&
		    node_too_big(v->s, v->c, near->nperms, 0, strcspn(path + i + 1, "/") + 1))
			return -ENOSPC;
	return 0;
}

/* Create path below near (path[near_len]), which c may write to; val goes to the last level. */
static int create(struct view *v, const char *path, struct xs_node *near, size_t near_len,
		  const void *val, size_t vlen)
{
	size_t len = strlen(path);
	struct xs_permissions *perms;
	struct batch b;
	int ret = create_quota(v, path, near, near_len);

	if (ret)
		return ret;
	if (node_too_big(v->s, v->c, near->nperms, vlen, 0))
		return -ENOSPC;
	/* New nodes inherit the parent's permissions; a guest owns what it creates. */
	if (dup_bytes(&perms, near->perms, near->nperms * sizeof(*perms)) || !perms)
		return -ENOMEM;                 /* (nperms >= 1: perms is never NULL otherwise) */
	if (!privileged(v->c))
		perms[0].id = v->c->domid;
	batch_begin(&b, v);
	ret = batch_create(&b, path, near_len, perms, near->nperms, val, vlen);
	if (!ret)
		ret = batch_event(&b, path, false);
	if (ret) {
		free(perms);
		return batch_abort(&b, ret);
	}
	batch_end(&b);
	free(perms);
	mark(v, path, near_len, false);
	for (size_t l = near_len + 1; l <= len; l++)
		if (path[l] == '/' || path[l] == '\0')
			mark(v, path, l, l == len);
	return 0;
}

static int write_or_mkdir(struct xs_conn *c, uint32_t tx, const char *in,
			  const void *val, size_t vlen, bool is_mkdir)
{
	char path[XS_PATH_BUF];
	struct view v;
	struct xs_node *n, *near;
	size_t near_len;
	int ret = op_begin(c, tx, in, path, &v);

	if (ret)
		return ret;
	if (vlen > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	ret = lookup(&v, path, &n, &near, &near_len);
	if (ret)
		return ret;
	if (!n) {
		ret = missing_error(c, near, XS_PERM_WRITE);
		return ret == -ENOENT ? create(&v, path, near, near_len, val, vlen) : ret;
	}
	if (!(node_perm(c, n) & XS_PERM_WRITE))
		return -EACCES;
	return is_mkdir ? 0 : set_value(&v, path, n, val, vlen);
}

int xs_write(struct xs_conn *c, uint32_t tx, const char *path, const void *val, size_t len)
{
	return write_or_mkdir(c, tx, path, val, len, false);
}

int xs_mkdir(struct xs_conn *c, uint32_t tx, const char *path)
{
	return write_or_mkdir(c, tx, path, NULL, 0, true);
}

int xs_rm(struct xs_conn *c, uint32_t tx, const char *in)
{
	char path[XS_PATH_BUF], ppath[XS_PATH_BUF];
	struct view v;
	struct xs_node *n, *parent, *near;
	struct batch b;
	size_t len, pl, near_len;
	int ret = op_begin(c, tx, in, path, &v);

	if (ret)
		return ret;
	len = strlen(path);
	pl = parent_len(path, len);
	memcpy(ppath, path, pl);
	ppath[pl] = '\0';
	ret = get_node(&v, path, XS_PERM_WRITE, &n);
	if (ret == -ENOENT) {
		/* Already gone: fine if the parent exists (xenstored do_rm). */
		ret = lookup(&v, ppath, &parent, &near, &near_len);
		return ret ? ret : parent ? 0 : -ENOENT;
	}
	if (ret)
		return ret;
	if (len == 1)
		return -EINVAL;                 /* the root stays */
	ret = lookup(&v, ppath, &parent, &near, &near_len);
	if (ret)
		return ret;
	batch_begin(&b, &v);
	ret = batch_delete(&b, path);
	if (ret)
		return batch_abort(&b, ret);
	batch_end(&b);
	mark(&v, path, len, true);
	mark(&v, path, pl, false);
	return 0;
}

int xs_directory(struct xs_conn *c, uint32_t tx, const char *in, char *buf, size_t cap, size_t *len)
{
	char path[XS_PATH_BUF];
	struct view v;
	struct xs_node *n;
	size_t pos = 0;
	int ret = op_begin(c, tx, in, path, &v);

	if (!ret)
		ret = get_node(&v, path, XS_PERM_READ, &n);
	if (ret)
		return ret;
	if (n->names_len > cap)
		return -E2BIG;
	for (uint32_t i = 0; i < n->nchild; i++) {
		size_t l = strlen(n->child[i]->name) + 1;

		memcpy(buf + pos, n->child[i]->name, l);
		pos += l;
	}
	*len = pos;
	return 0;
}

int xs_directory_part(struct xs_conn *c, uint32_t tx, const char *in, uint32_t off,
		      char *buf, size_t cap, size_t *len)
{
	char path[XS_PATH_BUF];
	struct view v;
	struct xs_node *n;
	size_t genlen, maxlen, out = 0, pos = 0;
	uint32_t i = 0;
	int ret = op_begin(c, tx, in, path, &v);

	if (!ret)
		ret = get_node(&v, path, XS_PERM_READ, &n);
	if (ret)
		return ret;
	if (cap < XENSTORE_PAYLOAD_MAX)
		return -ERANGE;
	genlen = (size_t)snprintf(buf, cap, "%" PRIu64, n->gen) + 1;
	if (off >= n->names_len) {
		buf[genlen] = '\0';             /* past the end: an empty list */
		*len = genlen + 1;
		return 0;
	}
	/* The child list is the DIRECTORY payload; off may point into a name, as in xenstored. */
	while (pos + strlen(n->child[i]->name) + 1 <= off)
		pos += strlen(n->child[i++]->name) + 1;
	maxlen = XENSTORE_PAYLOAD_MAX - genlen - 1;
	for (size_t skip = off - pos; i < n->nchild; i++, skip = 0) {
		const char *name = n->child[i]->name + skip;
		size_t l = strlen(name);

		if (out + l >= maxlen)
			break;
		memcpy(buf + genlen + out, name, l + 1);
		out += l + 1;
	}
	if (i == n->nchild)
		buf[genlen + out++] = '\0';     /* the end of the list */
	*len = genlen + out;
	return 0;
}

int xs_get_perms(struct xs_conn *c, uint32_t tx, const char *in,
		 struct xs_permissions *perms, unsigned int max, unsigned int *n)
{
	char path[XS_PATH_BUF];
	struct view v;
	struct xs_node *node;
	int ret = op_begin(c, tx, in, path, &v);

	if (!ret)
		ret = get_node(&v, path, XS_PERM_READ, &node);
	if (ret)
		return ret;
	if (max)
		memcpy(perms, node->perms, (node->nperms < max ? node->nperms : max) * sizeof(*perms));
	*n = node->nperms;
	return 0;
}

/* SET_PERMS on "@introduceDomain"/"@releaseDomain": who may watch them (xenstored set_perms_special). */
static int set_special_perms(struct xs_conn *c, const char *name,
			     const struct xs_permissions *perms, unsigned int n)
{
	struct xs_special *sp = special_find(c->store, name);
	struct xs_permissions *copy;

	if (!sp)
		return -EINVAL;
	if ((perm_for(c, sp->perms, sp->nperms) & (XS_PERM_WRITE | XS_PERM_OWNER)) !=
	    (XS_PERM_WRITE | XS_PERM_OWNER))
		return -EACCES;
	if (dup_bytes(&copy, perms, n * sizeof(*perms)))
		return -ENOMEM;
	free(sp->perms);
	sp->perms = copy;
	sp->nperms = n;
	return 0;
}

int xs_set_perms(struct xs_conn *c, uint32_t tx, const char *in,
		 const struct xs_permissions *perms, unsigned int n)
{
	char path[XS_PATH_BUF];
	struct view v;
	struct xs_node *node, *m;
	struct xs_permissions *copy;
	struct batch b;
	int ret;

	if (tx && !tx_find(c, tx))
		return -ENOENT;
	if (!privileged(c) && n > c->store->quota.perms)
		return -ENOSPC;
	if (!perms_valid(perms, n))
		return -EINVAL;
	if (in[0] == '@')
		return set_special_perms(c, in, perms, n);     /* not transactional, as in xenstored */
	ret = op_begin(c, tx, in, path, &v);
	if (!ret)
		ret = get_node(&v, path, XS_PERM_WRITE | XS_PERM_OWNER, &node);
	if (ret)
		return ret;
	if (!privileged(c) && perms[0].id != node->perms[0].id)
		return -EPERM;                  /* only dom0 gives nodes away */
	if (node_too_big(v.s, c, n, node->value_len, node->names_len))
		return -ENOSPC;
	if (dup_bytes(&copy, perms, n * sizeof(*perms)))
		return -ENOMEM;
	batch_begin(&b, &v);
	m = tree_own(&b.root, path, strlen(path));
	ret = m ? batch_event(&b, path, false) : -ENOMEM;
	if (!ret && m->perms[0].id != perms[0].id) {
		ret = batch_count(&b, m->perms[0].id, -1);
		if (!ret)
			ret = batch_count(&b, perms[0].id, 1);
	}
	if (ret) {
		free(copy);
		return batch_abort(&b, ret);
	}
	free(m->perms);
	m->perms = copy;
	m->nperms = n;
	m->gen = ++v.s->gen;
	batch_end(&b);
	mark(&v, path, strlen(path), true);
	return 0;
}

/* ------------------------------------------------------------ watches */

/* The stored form of a watch path: canonical, or "@..." as given; *strip for relative paths. */
static int watch_path(const struct xs_conn *c, const char *in, char *out, size_t *strip)
{
	*strip = 0;
	if (in[0] == '@') {
		if (strlen(in) > XENSTORE_REL_PATH_MAX)
			return -EINVAL;
		strcpy(out, in);
		return 0;
	}
	if (path_canon(c, in, out))
		return -EINVAL;
	if (in[0] != '/')
		*strip = home_len(c);
	return 0;
}

static struct xs_watch *watch_find(struct xs_conn *c, const char *path, const char *token,
				   struct xs_watch ***link)
{
	struct xs_watch **l;

	for (l = &c->watches; *l; l = &(*l)->next)
		if (!strcmp((*l)->path, path) && !strcmp((*l)->token, token))
			break;
	if (link)
		*link = l;
	return *l;
}

int xs_watch(struct xs_conn *c, const char *in, const char *token)
{
	char path[XS_PATH_BUF];
	struct xs_watch *w, **tail;
	size_t strip;
	int ret = watch_path(c, in, path, &strip);

	if (ret)
		return ret;
	if (strlen(token) > XENSTORE_PAYLOAD_MAX)
		return -EINVAL;
	if (watch_find(c, path, token, &tail))
		return -EEXIST;
	if (!privileged(c) && c->nwatches >= c->store->quota.watches)
		return -E2BIG;
	w = xcalloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->path = xstrdup(path);
	w->token = xstrdup(token);
	if (!w->path || !w->token) {
		free(w->path);
		free(w->token);
		free(w);
		return -ENOMEM;
	}
	w->strip = strip;
	*tail = w;
	c->nwatches++;
	return 0;
}

void xs_watch_initial(struct xs_conn *c, const char *in, const char *token)
{
	char path[XS_PATH_BUF];
	size_t strip;
	struct xs_watch *w;

	if (watch_path(c, in, path, &strip))
		return;
	w = watch_find(c, path, token, NULL);
	if (w)
		send_watch_event(c, w, w->path);
}

int xs_unwatch(struct xs_conn *c, const char *in, const char *token)
{
	char path[XS_PATH_BUF];
	struct xs_watch *w, **link;

	if (path_absolute(c, in, path))
		return -ENOENT;
	w = watch_find(c, path, token, &link);
	if (!w)
		return -ENOENT;
	*link = w->next;
	free(w->path);
	free(w->token);
	free(w);
	c->nwatches--;
	return 0;
}

/* ------------------------------------------------------- transactions */

int xs_transaction_start(struct xs_conn *c, uint32_t *id)
{
	struct xs_tx *t;

	if (!privileged(c) && c->ntx >= c->store->quota.transactions)
		return -ENOSPC;
	t = xcalloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	do {
		t->id = c->next_tx++;
	} while (!t->id || tx_find(c, t->id));
	t->root = c->store->root;
	t->root->refs++;
	t->next = c->txs;
	c->txs = t;
	c->ntx++;
	*id = t->id;
	return 0;
}

static int cmp_access(const void *a, const void *b)
{
	return strcmp((*(struct xs_access *const *)a)->path, (*(struct xs_access *const *)b)->path);
}

/*
 * Apply one changed path of the transaction to the live tree being built:
 * gone in the transaction → removed; otherwise value and permissions
 * copied, created if new, and children the transaction removed removed.
 * Children it added are entries of their own (sorted after their parent).
 */
static int commit_one(struct batch *b, struct xs_tx *t, const char *path)
{
	struct xs_store *s = b->v->s;
	struct xs_node *tn = tree_find(t->root, path, NULL, NULL);
	struct xs_node *ln = tree_find(b->root, path, NULL, NULL), *m;
	size_t len = strlen(path);
	uint8_t *value;
	struct xs_permissions *perms;
	char child[XS_PATH_BUF];
	int ret;

	if (!tn)
		return ln ? batch_delete(b, path) : 0;
	if (!ln) {
		size_t pl = parent_len(path, len);

		memcpy(child, path, pl);
		child[pl] = '\0';
		if (!tree_find(b->root, child, NULL, NULL))
			return -EIO;            /* its parent is applied first: cannot happen */
		return batch_create(b, path, pl, tn->perms, tn->nperms, tn->value, tn->value_len);
	}
	m = tree_own(&b->root, path, len);
	if (!m)
		return -ENOMEM;
	if (m->perms[0].id != tn->perms[0].id) {
		ret = batch_count(b, m->perms[0].id, -1);
		if (!ret)
			ret = batch_count(b, tn->perms[0].id, 1);
		if (ret)
			return ret;
	}
	if (dup_bytes(&value, tn->value, tn->value_len))
		return -ENOMEM;
	if (dup_bytes(&perms, tn->perms, tn->nperms * sizeof(*perms))) {
		free(value);
		return -ENOMEM;
	}
	free(m->value);
	free(m->perms);
	m->value = value;
	m->value_len = tn->value_len;
	m->perms = perms;
	m->nperms = tn->nperms;
	m->gen = ++s->gen;
	for (uint32_t i = m->nchild; i-- > 0; ) {
		if (child_index(tn, m->child[i]->name, strlen(m->child[i]->name)) >= 0)
			continue;
		ret = path_join(child, path, len, m->child[i]->name);
		if (!ret)
			ret = batch_delete(b, child);
		if (ret)
			return ret;
	}
	return 0;
}

static int tx_commit(struct xs_conn *c, struct xs_tx *t)
{
	struct xs_store *s = c->store;
	struct view v = { .s = s, .c = c, .tx = NULL, .rootp = &s->root };
	struct xs_access **order;
	unsigned int n = 0;
	struct batch b;
	int ret = 0;

	for (unsigned int i = 0; i < t->nacc; i++) {
		struct xs_node *ln = tree_find(s->root, t->acc[i].path, NULL, NULL);

		if ((ln ? ln->gen : 0) != t->acc[i].gen)
			return -EAGAIN;
	}
	for (unsigned int i = 0; i < t->ndelta; i++)
		if (t->delta[i].domid != 0 && t->delta[i].nodes > 0 &&
		    nodes_owned(s, t, t->delta[i].domid) > (long)s->quota.nodes)
			return -ENOSPC;

	order = xcalloc(t->nacc ? t->nacc : 1, sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (unsigned int i = 0; i < t->nacc; i++)
		if (t->acc[i].modified)
			order[n++] = &t->acc[i];
	qsort(order, n, sizeof(*order), cmp_access);    /* parents before children */

	batch_begin(&b, &v);
	for (unsigned int i = 0; !ret && i < n; i++)
		ret = commit_one(&b, t, order[i]->path);
	for (unsigned int i = 0; !ret && i < n; i++)
		if (order[i]->fire && tree_find(b.root, order[i]->path, NULL, NULL))
			ret = batch_event(&b, order[i]->path, false);
	free(order);
	if (ret)
		return batch_abort(&b, ret);
	batch_end(&b);
	return 0;
}

bool xs_transaction_exists(const struct xs_conn *c, uint32_t id)
{
	return id && tx_find(c, id);
}

int xs_transaction_end(struct xs_conn *c, uint32_t id, bool commit)
{
	struct xs_tx **l, *t;
	int ret = 0;

	for (l = &c->txs; *l && (*l)->id != id; l = &(*l)->next)
		;
	t = *l;
	if (!id || !t)
		return -ENOENT;
	*l = t->next;
	c->ntx--;
	if (commit)
		ret = tx_commit(c, t);
	tx_free(t);
	return ret;
}

/* -------------------------------------------------------- connections */

struct xs_conn *xs_conn_new(struct xs_store *s, unsigned int domid, xs_output_fn *out, void *opaque)
{
	struct xs_conn *c;

	if (domid > DOMID_LIMIT || !dom_get(s, domid))
		return NULL;
	c = xcalloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->store = s;
	c->domid = domid;
	c->out = out;
	c->opaque = opaque;
	c->next_tx = 1;
	c->next = s->conns;
	s->conns = c;
	return c;
}

void xs_conn_reset(struct xs_conn *c)
{
	while (c->watches) {
		struct xs_watch *w = c->watches;

		c->watches = w->next;
		free(w->path);
		free(w->token);
		free(w);
	}
	c->nwatches = 0;
	while (c->txs) {
		struct xs_tx *t = c->txs;

		c->txs = t->next;
		tx_free(t);
	}
	c->ntx = 0;
}

void xs_conn_free(struct xs_conn *c)
{
	struct xs_conn **l;

	if (!c)
		return;
	for (l = &c->store->conns; *l; l = &(*l)->next)
		if (*l == c) {
			*l = c->next;
			break;
		}
	xs_conn_reset(c);
	free(c);
}

unsigned int xs_conn_domid(const struct xs_conn *c)
{
	return c->domid;
}

void xs_conn_send(struct xs_conn *c, const struct xsd_sockmsg *hdr, const void *payload)
{
	if (c->out)
		c->out(c->opaque, hdr, payload);
}

/* -------------------------------------------------------------- store */

/* A top-level node for xs_store_new: owned by dom0, no access for others. */
static struct xs_node *initial_node(struct xs_store *s, const char *name, struct xs_node *parent)
{
	static const struct xs_permissions dom0_only = { .id = 0, .perms = XS_PERM_NONE };
	struct xs_node *n = node_new(name, strlen(name), &dom0_only, 1);

	if (!n)
		return NULL;
	n->gen = ++s->gen;
	if (parent && node_add_child(parent, n)) {
		node_unref(n);
		return NULL;
	}
	return n;
}

struct xs_store *xs_store_new(void)
{
	static const struct xs_permissions dom0_only = { .id = 0, .perms = XS_PERM_NONE };
	struct xs_store *s = xcalloc(1, sizeof(*s));
	struct xs_node *tool;
	struct xs_dom *d0;

	if (!s)
		return NULL;
	s->quota = XS_QUOTA_DEFAULT;
	s->special[0].name = "@introduceDomain";
	s->special[1].name = "@releaseDomain";
	/* setup_structure(): "/", "/tool", "/tool/xenstored", all dom0's. */
	s->root = initial_node(s, "", NULL);
	tool = s->root ? initial_node(s, "tool", s->root) : NULL;
	d0 = dom_get(s, 0);
	if (!tool || !initial_node(s, "xenstored", tool) || !d0)
		goto fail;
	d0->nodes = 3;
	for (unsigned int i = 0; i < 2; i++) {
		if (dup_bytes(&s->special[i].perms, &dom0_only, sizeof(dom0_only)))
			goto fail;
		s->special[i].nperms = 1;
	}
	return s;
fail:
	xs_store_free(s);
	return NULL;
}

void xs_store_free(struct xs_store *s)
{
	if (!s)
		return;
	while (s->conns)
		xs_conn_free(s->conns);
	node_unref(s->root);
	for (unsigned int i = 0; i < 2; i++)
		free(s->special[i].perms);
	free(s->dom);
	free(s);
}

/* Check one tree below n (at depth levels), counting nodes per owner into cnt. */
static int check_tree(const struct xs_node *n, unsigned int depth,
		      struct xs_count **cnt, unsigned int *ncnt, unsigned int *cap)
{
	struct xs_count *e;
	uint32_t names = 0;

	if (!n->refs || !n->nperms || !perms_valid(n->perms, n->nperms) || n->nchild > n->cap ||
	    (n->value_len && !n->value) || depth > XENSTORE_ABS_PATH_MAX / 2 ||
	    (depth > 0) != (n->name[0] != '\0') || !valid_chars(n->name) || strchr(n->name, '/'))
		return -EIO;
	e = count_get(cnt, ncnt, cap, n->perms[0].id);
	if (!e)
		return -ENOMEM;
	e->nodes++;
	for (uint32_t i = 0; i < n->nchild; i++) {
		const char *name = n->child[i]->name;
		int ret;

		if (child_index(n, name, strlen(name)) != (int)i)
			return -EIO;            /* a duplicate name */
		names += strlen(name) + 1;
		ret = check_tree(n->child[i], depth + 1, cnt, ncnt, cap);
		if (ret)
			return ret;
	}
	return names == n->names_len ? 0 : -EIO;
}

int xs_store_check(const struct xs_store *s)
{
	struct xs_count *cnt = NULL;
	unsigned int ncnt = 0, cap = 0;
	int ret = check_tree(s->root, 0, &cnt, &ncnt, &cap);

	for (unsigned int i = 0; !ret && i < ncnt; i++)
		if (xs_store_nodes_owned(s, cnt[i].domid) != (unsigned int)cnt[i].nodes)
			ret = -EIO;
	for (unsigned int i = 0; !ret && i < s->ndom; i++)
		if (s->dom[i].nodes && !count_find(cnt, ncnt, s->dom[i].domid))
			ret = -EIO;
	for (const struct xs_conn *c = s->conns; !ret && c; c = c->next) {
		unsigned int ntx = 0, nw = 0;

		for (const struct xs_tx *t = c->txs; !ret && t; t = t->next, ntx++) {
			ncnt = 0;
			ret = check_tree(t->root, 0, &cnt, &ncnt, &cap);
		}
		for (const struct xs_watch *w = c->watches; w; w = w->next)
			nw++;
		if (!ret && (ntx != c->ntx || nw != c->nwatches))
			ret = -EIO;
	}
	free(cnt);
	return ret;
}

struct xs_quota *xs_store_quota(struct xs_store *s)
{
	return &s->quota;
}

int xs_domain_introduce(struct xs_store *s, unsigned int domid)
{
	struct xs_dom *d = domid <= DOMID_LIMIT ? dom_get(s, domid) : NULL;

	if (!d)
		return domid > DOMID_LIMIT ? -EINVAL : -ENOMEM;
	d->introduced = true;
	fire_watches(s, "@introduceDomain", true, NULL, s->root);
	return 0;
}

void xs_domain_release(struct xs_store *s, unsigned int domid)
{
	struct xs_dom *d = dom_find(s, domid);

	if (d)
		d->introduced = false;
	fire_watches(s, "@releaseDomain", true, NULL, s->root);
}

bool xs_domain_is_introduced(const struct xs_store *s, unsigned int domid)
{
	const struct xs_dom *d = dom_find(s, domid);

	return d && d->introduced;
}
