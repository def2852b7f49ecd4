/* test_xenstore.c — the xenstore engine, its wire messages and the guest ring, checked against xenstored's behaviour. */
#define CHECK_SUITE "xenstore"
#include "check.h"

#include <errno.h>
#include <stdlib.h>

#include "backends/xenstore.h"
#include "backends/xs_ring.h"

#define CALL(x) do { x; if (check_case_failed) return; } while (0)
#define GUEST   5u

/* ------------------------------------------------------------------ */
/* Fixture: a store, dom0 and guest connections capturing their output */
/* ------------------------------------------------------------------ */

struct msg {
	struct xsd_sockmsg hdr;
	char body[XENSTORE_PAYLOAD_MAX + 1];    /* with a NUL after the payload */
};

struct outq {
	struct msg m[256];
	unsigned int n;
	unsigned int overflow;
};

static void capture(void *opaque, const struct xsd_sockmsg *hdr, const void *payload)
{
	struct outq *q = opaque;
	struct msg *m;

	if (q->n == sizeof(q->m) / sizeof(q->m[0])) {
		q->overflow++;
		return;
	}
	m = &q->m[q->n++];
	m->hdr = *hdr;
	memcpy(m->body, payload, hdr->len);
	m->body[hdr->len] = '\0';
}

static struct xs_store *st;
static struct xs_conn *d0, *gu;
static struct outq q0, qg;
static struct xs_ring ring;             /* the ring tests' guest ring, on st */

static void setup(void)
{
	xs_ring_destroy(&ring);
	xs_store_free(st);
	memset(&q0, 0, sizeof(q0));
	memset(&qg, 0, sizeof(qg));
	st = xs_store_new();
	d0 = xs_conn_new(st, 0, capture, &q0);
	gu = xs_conn_new(st, GUEST, capture, &qg);
}

static void clear(struct outq *q)
{
	q->n = 0;
}

static int wr(struct xs_conn *c, uint32_t tx, const char *path, const char *val)
{
	return xs_write(c, tx, path, val, strlen(val));
}

/* Read into a static NUL-terminated buffer; NULL (and *err) on error. */
static const char *rd(struct xs_conn *c, uint32_t tx, const char *path, int *err)
{
	static char buf[XENSTORE_PAYLOAD_MAX + 1];
	size_t len;
	int e = xs_read(c, tx, path, buf, XENSTORE_PAYLOAD_MAX, &len);

	if (err)
		*err = e;
	if (e)
		return NULL;
	buf[len] = '\0';
	return buf;
}

static int read_err(struct xs_conn *c, uint32_t tx, const char *path)
{
	int e;

	rd(c, tx, path, &e);
	return e;
}

static int set_perms(struct xs_conn *c, const char *path, unsigned int owner, unsigned int other,
		     unsigned int other_perm)
{
	struct xs_permissions p[2] = { { owner, XS_PERM_NONE }, { other, other_perm } };

	return xs_set_perms(c, 0, path, p, 2);
}

/* How many watch events "path"/"token" q holds. */
static unsigned int events(const struct outq *q, const char *path, const char *token)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < q->n; i++) {
		const struct msg *m = &q->m[i];

		if (m->hdr.type == XS_WATCH_EVENT && !strcmp(m->body, path) &&
		    !strcmp(m->body + strlen(m->body) + 1, token))
			n++;
	}
	return n;
}

static unsigned int all_events(const struct outq *q)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < q->n; i++)
		n += q->m[i].hdr.type == XS_WATCH_EVENT;
	return n;
}

/* Send one wire request; the reply (watch events are skipped and stay in q). */
static const struct msg *wire(struct xs_conn *c, struct outq *q, uint32_t type, uint32_t tx,
			      const void *payload, uint32_t len)
{
	static uint32_t req_id = 1000;
	struct xsd_sockmsg h = { .type = type, .req_id = ++req_id, .tx_id = tx, .len = len };
	unsigned int start = q->n;

	if (xs_handle_message(st, c, &h, payload))
		return NULL;
	for (unsigned int i = start; i < q->n; i++)
		if (q->m[i].hdr.type != XS_WATCH_EVENT)
			return q->m[i].hdr.req_id == req_id ? &q->m[i] : NULL;
	return NULL;
}

/* A string literal with its embedded NULs, without the implicit final one. */
#define WIRE(c, q, type, tx, lit) wire(c, q, type, tx, lit, sizeof(lit) - 1)

static bool is_error(const struct msg *m, const char *name)
{
	return m && m->hdr.type == XS_ERROR && !strcmp(m->body, name);
}

static bool is_ok(const struct msg *m, uint32_t type)
{
	return m && m->hdr.type == type && m->hdr.len == 3 && !strcmp(m->body, "OK");
}

#define CHECK_ERROR(m, name) do { const struct msg *m_ = (m); \
	CHECK(m_ != NULL); CHECK_EQ(m_->hdr.type, XS_ERROR); CHECK_STR(m_->body, name); } while (0)

/* A guest home as libxl leaves it: dom0 owns /local/domain/5, the guest reads it. */
static void make_home(void)
{
	CHECK_EQ(xs_mkdir(d0, 0, "/local/domain/5"), 0);
	CHECK_EQ(set_perms(d0, "/local/domain/5", 0, GUEST, XS_PERM_READ), 0);
	CHECK_EQ(xs_mkdir(d0, 0, "/local/domain/5/data"), 0);
	CHECK_EQ(set_perms(d0, "/local/domain/5/data", GUEST, 0, XS_PERM_NONE), 0);
}

/* ------------------------------------------------------------------ */
/* Tree operations                                                     */
/* ------------------------------------------------------------------ */

TEST(new_store_has_xenstoreds_initial_nodes)
{
	char buf[64];
	size_t len;

	setup();
	CHECK_EQ(xs_directory(d0, 0, "/", buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, 5);
	CHECK(!memcmp(buf, "tool\0", 5));
	CHECK_EQ(xs_directory(d0, 0, "/tool", buf, sizeof(buf), &len), 0);
	CHECK(len == 10 && !memcmp(buf, "xenstored\0", 10));
	CHECK_EQ(xs_store_nodes_owned(st, 0), 3);
}

TEST(write_then_read_returns_the_value)
{
	setup();
	CHECK_EQ(wr(d0, 0, "/a", "hello"), 0);
	CHECK_STR(rd(d0, 0, "/a", NULL), "hello");
	CHECK_EQ(wr(d0, 0, "/a", ""), 0);
	CHECK_STR(rd(d0, 0, "/a", NULL), "");
}

TEST(write_creates_missing_parents_with_empty_values)
{
	setup();
	CHECK_EQ(wr(d0, 0, "/a/b/c", "x"), 0);
	CHECK_STR(rd(d0, 0, "/a", NULL), "");
	CHECK_STR(rd(d0, 0, "/a/b", NULL), "");
	CHECK_STR(rd(d0, 0, "/a/b/c", NULL), "x");
	CHECK_EQ(xs_store_nodes_owned(st, 0), 6);
}

TEST(values_are_bytes_including_nuls)
{
	char buf[16];
	size_t len;

	setup();
	CHECK_EQ(xs_write(d0, 0, "/bin", "a\0b\0", 4), 0);
	CHECK_EQ(xs_read(d0, 0, "/bin", buf, sizeof(buf), &len), 0);
	CHECK(len == 4 && !memcmp(buf, "a\0b\0", 4));
	CHECK_EQ(xs_read(d0, 0, "/bin", buf, 3, &len), -ERANGE);
}

TEST(read_of_missing_node_is_enoent)
{
	setup();
	CHECK_EQ(read_err(d0, 0, "/nope"), -ENOENT);
	CHECK_EQ(read_err(d0, 0, "/nope/deeper"), -ENOENT);
}

TEST(mkdir_creates_and_leaves_existing_values_alone)
{
	setup();
	CHECK_EQ(xs_mkdir(d0, 0, "/m/n"), 0);
	CHECK_STR(rd(d0, 0, "/m/n", NULL), "");
	CHECK_EQ(wr(d0, 0, "/m/n", "keep"), 0);
	CHECK_EQ(xs_mkdir(d0, 0, "/m/n"), 0);
	CHECK_STR(rd(d0, 0, "/m/n", NULL), "keep");
}

TEST(rm_removes_the_whole_subtree)
{
	setup();
	CHECK_EQ(wr(d0, 0, "/r/a/b", "1"), 0);
	CHECK_EQ(wr(d0, 0, "/r/c", "2"), 0);
	CHECK_EQ(xs_store_nodes_owned(st, 0), 7);
	CHECK_EQ(xs_rm(d0, 0, "/r"), 0);
	CHECK_EQ(read_err(d0, 0, "/r"), -ENOENT);
	CHECK_EQ(read_err(d0, 0, "/r/a/b"), -ENOENT);
	CHECK_EQ(xs_store_nodes_owned(st, 0), 3);
}

TEST(rm_of_missing_node_is_ok_only_if_its_parent_exists)
{
	setup();
	CHECK_EQ(xs_mkdir(d0, 0, "/p"), 0);
	CHECK_EQ(xs_rm(d0, 0, "/p/missing"), 0);
	CHECK_EQ(xs_rm(d0, 0, "/p/missing/deeper"), -ENOENT);
}

TEST(rm_of_root_is_einval)
{
	setup();
	CHECK_EQ(xs_rm(d0, 0, "/"), -EINVAL);
	CHECK_EQ(xs_rm(gu, 0, "/"), -EACCES);   /* permissions are checked first */
}

TEST(directory_lists_children_in_creation_order)
{
	char buf[64];
	size_t len;

	setup();
	CHECK_EQ(xs_mkdir(d0, 0, "/d/zeta"), 0);
	CHECK_EQ(xs_mkdir(d0, 0, "/d/alpha"), 0);
	CHECK_EQ(xs_mkdir(d0, 0, "/d/mid"), 0);
	CHECK_EQ(xs_directory(d0, 0, "/d", buf, sizeof(buf), &len), 0);
	CHECK(len == 15 && !memcmp(buf, "zeta\0alpha\0mid\0", 15));
	CHECK_EQ(xs_rm(d0, 0, "/d/alpha"), 0);
	CHECK_EQ(xs_directory(d0, 0, "/d", buf, sizeof(buf), &len), 0);
	CHECK(len == 9 && !memcmp(buf, "zeta\0mid\0", 9));
	CHECK_EQ(xs_directory(d0, 0, "/d/zeta", buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, 0);
}

TEST(relative_paths_are_below_the_connections_home)
{
	setup();
	CHECK_EQ(wr(d0, 0, "rel/x", "0"), 0);
	CHECK_STR(rd(d0, 0, "/local/domain/0/rel/x", NULL), "0");
	CALL(make_home());
	CHECK_EQ(wr(gu, 0, "data/y", "5"), 0);
	CHECK_STR(rd(d0, 0, "/local/domain/5/data/y", NULL), "5");
	CHECK_STR(rd(gu, 0, "data/y", NULL), "5");
}

TEST(invalid_paths_are_einval)
{
	static const char *const bad[] = {
		"", "/a/", "/a//b", "//", "/a b", "/a\xff", "/a.b", "/a:b", "@introduceDomain",
		"rel/", "rel//x",
	};

	setup();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(wr(d0, 0, bad[i], "v"), -EINVAL);
		CHECK_EQ(read_err(d0, 0, bad[i]), -EINVAL);
	}
	CHECK_EQ(wr(d0, 0, "/ok-_@Z9", "v"), 0);       /* the whole alphabet: [A-Za-z0-9-/_@] */
}

TEST(paths_longer_than_the_limits_are_einval)
{
	char path[XENSTORE_ABS_PATH_MAX + 64];
	size_t home = strlen("/local/domain/5/");

	setup();
	/* Below a home, XENSTORE_REL_PATH_MAX bytes after "/local/domain/<id>/". */
	memcpy(path, "/local/domain/5/", home);
	memset(path + home, 'a', XENSTORE_REL_PATH_MAX);
	path[home + XENSTORE_REL_PATH_MAX] = '\0';
	CHECK_EQ(wr(d0, 0, path, "v"), 0);
	path[home + XENSTORE_REL_PATH_MAX] = 'a';
	path[home + XENSTORE_REL_PATH_MAX + 1] = '\0';
	CHECK_EQ(wr(d0, 0, path, "v"), -EINVAL);
	/* Elsewhere, the same limit counted from "/". */
	path[0] = '/';
	memset(path + 1, 'b', XENSTORE_REL_PATH_MAX);
	path[XENSTORE_REL_PATH_MAX] = '\0';
	CHECK_EQ(wr(d0, 0, path, "v"), 0);
	path[XENSTORE_REL_PATH_MAX] = 'b';
	path[XENSTORE_REL_PATH_MAX + 1] = '\0';
	CHECK_EQ(wr(d0, 0, path, "v"), -EINVAL);
	/* A relative path that becomes too long once made absolute. */
	memset(path, 'c', XENSTORE_REL_PATH_MAX + 1);
	path[XENSTORE_REL_PATH_MAX + 1] = '\0';
	CHECK_EQ(wr(d0, 0, path, "v"), -EINVAL);
	/* One too long for any buffer. */
	memset(path, 'd', XENSTORE_ABS_PATH_MAX + 10);
	path[XENSTORE_ABS_PATH_MAX + 10] = '\0';
	CHECK_EQ(wr(d0, 0, path, "v"), -EINVAL);
	CHECK_EQ(xs_watch(d0, path, "t"), -EINVAL);
	CHECK_EQ(xs_unwatch(d0, path, "t"), -ENOENT);
	path[0] = '@';
	CHECK_EQ(xs_watch(d0, path, "t"), -EINVAL);
}

TEST(directory_bigger_than_a_payload_is_e2big)
{
	char name[64], buf[XENSTORE_PAYLOAD_MAX];
	size_t len;

	setup();
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "/big/child-with-a-long-name-%04d", i);
		CHECK_EQ(xs_mkdir(d0, 0, name), 0);
	}
	CHECK_EQ(xs_directory(d0, 0, "/big", buf, sizeof(buf), &len), -E2BIG);
	CHECK_ERROR(WIRE(d0, &q0, XS_DIRECTORY, 0, "/big\0"), "E2BIG");
}

/* ------------------------------------------------------------------ */
/* DIRECTORY_PART                                                      */
/* ------------------------------------------------------------------ */

/* Page through /big with DIRECTORY_PART as libxenstore does; returns the list in all[]. */
static size_t directory_by_parts(struct xs_conn *c, const char *path, char *all, size_t cap,
				 char *gen, int *calls)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t total = 0, len;
	uint32_t off = 0;

	for (*calls = 0; *calls < 100; (*calls)++) {
		size_t gl, body;

		if (xs_directory_part(c, 0, path, off, buf, sizeof(buf), &len))
			return 0;
		if (len > XENSTORE_PAYLOAD_MAX)
			return 0;
		gl = strlen(buf) + 1;
		if (*calls == 0)
			strcpy(gen, buf);
		else if (strcmp(gen, buf))
			return 0;
		body = len - gl;
		/* The last part ends with an empty name: two NULs in a row. */
		if (body == 1 || (body >= 2 && buf[len - 1] == '\0' && buf[len - 2] == '\0')) {
			memcpy(all + total, buf + gl, body - 1);
			total += body - 1;
			(*calls)++;
			return total;
		}
		if (total + body > cap)
			return 0;
		memcpy(all + total, buf + gl, body);
		total += body;
		off += (uint32_t)body;
	}
	return 0;
}

TEST(directory_part_pages_through_a_long_child_list)
{
	char name[64], full[16384], parts[16384], gen[32];
	size_t len = 0, plen;
	int calls;

	setup();
	for (int i = 0; i < 300; i++) {
		int n = snprintf(name, sizeof(name), "child-with-a-long-name-%04d", i);

		memcpy(full + len, name, (size_t)n + 1);
		len += (size_t)n + 1;
		snprintf(name, sizeof(name), "/big/child-with-a-long-name-%04d", i);
		CHECK_EQ(xs_mkdir(d0, 0, name), 0);
	}
	CHECK(len > 2 * XENSTORE_PAYLOAD_MAX);
	plen = directory_by_parts(d0, "/big", parts, sizeof(parts), gen, &calls);
	CHECK_EQ(plen, len);
	CHECK(!memcmp(parts, full, len));
	CHECK_EQ(calls, 3);
}

TEST(directory_part_past_the_end_is_an_empty_list)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t len, gl;

	setup();
	CHECK_EQ(xs_mkdir(d0, 0, "/dp/a"), 0);
	CHECK_EQ(xs_directory_part(d0, 0, "/dp", 0, buf, sizeof(buf), &len), 0);
	gl = strlen(buf) + 1;
	CHECK(len == gl + 3 && !memcmp(buf + gl, "a\0\0", 3));
	CHECK_EQ(xs_directory_part(d0, 0, "/dp", 2, buf, sizeof(buf), &len), 0);
	CHECK(len == gl + 1 && buf[gl] == '\0');
	CHECK_EQ(xs_directory_part(d0, 0, "/dp", 0xffffffffu, buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, gl + 1);
	CHECK_EQ(xs_directory_part(d0, 0, "/dp/a", 0, buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, strlen(buf) + 2);         /* a leaf: just the generation and the end */
}

TEST(directory_part_generation_changes_when_children_change)
{
	char buf[XENSTORE_PAYLOAD_MAX], g1[32], g2[32];
	size_t len;

	setup();
	CHECK_EQ(xs_mkdir(d0, 0, "/g/a"), 0);
	CHECK_EQ(xs_directory_part(d0, 0, "/g", 0, buf, sizeof(buf), &len), 0);
	strcpy(g1, buf);
	CHECK_EQ(xs_directory_part(d0, 0, "/g", 0, buf, sizeof(buf), &len), 0);
	CHECK_STR(buf, g1);                     /* stable while nothing changes */
	CHECK_EQ(xs_mkdir(d0, 0, "/g/b"), 0);
	CHECK_EQ(xs_directory_part(d0, 0, "/g", 0, buf, sizeof(buf), &len), 0);
	strcpy(g2, buf);
	CHECK(strcmp(g1, g2) != 0);
}

TEST(directory_part_over_the_wire)
{
	const struct msg *m;
	size_t gl;

	setup();
	CHECK_EQ(xs_mkdir(d0, 0, "/w/one"), 0);
	m = WIRE(d0, &q0, XS_DIRECTORY_PART, 0, "/w\0" "0\0");
	CHECK(m && m->hdr.type == XS_DIRECTORY_PART);
	gl = strlen(m->body) + 1;
	CHECK(m->hdr.len == gl + 5 && !memcmp(m->body + gl, "one\0\0", 5));
	CHECK_ERROR(WIRE(d0, &q0, XS_DIRECTORY_PART, 0, "/w\0"), "EINVAL");
	CHECK_ERROR(WIRE(d0, &q0, XS_DIRECTORY_PART, 0, "/w\0x\0"), "EINVAL");
	CHECK_ERROR(WIRE(d0, &q0, XS_DIRECTORY_PART, 0, "/w\0" "0\0" "0\0"), "EINVAL");
}

/* ------------------------------------------------------------------ */
/* Permissions                                                         */
/* ------------------------------------------------------------------ */

TEST(guest_cannot_read_or_write_dom0_nodes)
{
	setup();
	CHECK_EQ(wr(d0, 0, "/secret", "s"), 0);
	CHECK_EQ(read_err(gu, 0, "/secret"), -EACCES);
	CHECK_EQ(wr(gu, 0, "/secret", "x"), -EACCES);
	CHECK_EQ(xs_rm(gu, 0, "/secret"), -EACCES);
	CHECK_STR(rd(d0, 0, "/secret", NULL), "s");
}

TEST(missing_node_under_an_unreadable_parent_is_eacces_not_enoent)
{
	setup();
	CHECK_EQ(xs_mkdir(d0, 0, "/hidden"), 0);
	CHECK_EQ(read_err(gu, 0, "/hidden/nothing"), -EACCES);
	CHECK_EQ(read_err(gu, 0, "/nothing/at/all"), -EACCES);  /* the root is dom0's, "n0" */
	CALL(make_home());
	CHECK_EQ(read_err(gu, 0, "/local/domain/5/nothing"), -ENOENT);
}

TEST(read_and_write_permissions_are_separate)
{
	setup();
	CALL(make_home());
	CHECK_EQ(wr(d0, 0, "/local/domain/5/name", "guest"), 0);       /* inherits n0 r5 */
	CHECK_STR(rd(gu, 0, "name", NULL), "guest");
	CHECK_EQ(wr(gu, 0, "name", "evil"), -EACCES);
	CHECK_EQ(wr(gu, 0, "newnode", "x"), -EACCES);                  /* home is read-only */
	CHECK_EQ(xs_mkdir(d0, 0, "/wo"), 0);
	CHECK_EQ(set_perms(d0, "/wo", 0, GUEST, XS_PERM_WRITE), 0);
	CHECK_EQ(wr(gu, 0, "/wo", "w"), 0);
	CHECK_EQ(read_err(gu, 0, "/wo"), -EACCES);
	CHECK_STR(rd(d0, 0, "/wo", NULL), "w");
}

TEST(default_permission_applies_to_unlisted_domains)
{
	struct xs_conn *other;

	setup();
	other = xs_conn_new(st, 7, NULL, NULL);
	CHECK_EQ(wr(d0, 0, "/pub", "v"), 0);
	{
		struct xs_permissions p[2] = { { 0, XS_PERM_READ }, { GUEST, XS_PERM_NONE } };

		CHECK_EQ(xs_set_perms(d0, 0, "/pub", p, 2), 0);
	}
	CHECK_STR(rd(other, 0, "/pub", NULL), "v");
	CHECK_EQ(read_err(gu, 0, "/pub"), -EACCES);     /* an explicit entry wins over the default */
}

TEST(guest_owns_what_it_creates_and_inherits_the_rest)
{
	struct xs_permissions p[4];
	unsigned int n;

	setup();
	CALL(make_home());
	{
		struct xs_permissions dp[2] = { { GUEST, XS_PERM_NONE }, { 0, XS_PERM_READ } };

		CHECK_EQ(xs_set_perms(d0, 0, "/local/domain/5/data", dp, 2), 0);
	}
	CHECK_EQ(wr(gu, 0, "data/a/b", "1"), 0);
	CHECK_EQ(xs_get_perms(d0, 0, "/local/domain/5/data/a/b", p, 4, &n), 0);
	CHECK_EQ(n, 2);
	CHECK(p[0].id == GUEST && p[0].perms == XS_PERM_NONE);
	CHECK(p[1].id == 0 && p[1].perms == XS_PERM_READ);
	CHECK_EQ(xs_store_nodes_owned(st, GUEST), 3);   /* data (given), a, b */
}

TEST(dom0_created_nodes_keep_the_parents_owner)
{
	struct xs_permissions p[2];
	unsigned int n;

	setup();
	CALL(make_home());
	CHECK_EQ(wr(d0, 0, "/local/domain/5/data/by-dom0", "x"), 0);
	CHECK_EQ(xs_get_perms(d0, 0, "/local/domain/5/data/by-dom0", p, 2, &n), 0);
	CHECK(n == 2 && p[0].id == GUEST);
	CHECK_STR(rd(gu, 0, "data/by-dom0", NULL), "x");
}

TEST(only_the_owner_or_dom0_sets_permissions)
{
	setup();
	CALL(make_home());
	CHECK_EQ(set_perms(gu, "/local/domain/5", GUEST, 0, XS_PERM_READ), -EACCES);
	CHECK_EQ(wr(gu, 0, "data/mine", "m"), 0);
	CHECK_EQ(set_perms(gu, "data/mine", GUEST, 7, XS_PERM_READ), 0);
	CHECK_EQ(set_perms(gu, "data/mine", 7, GUEST, XS_PERM_READ), -EPERM);   /* giving it away */
	CHECK_EQ(set_perms(d0, "/local/domain/5/data/mine", 7, GUEST, XS_PERM_READ), 0);
	CHECK_EQ(xs_store_nodes_owned(st, 7), 1);
	CHECK_EQ(set_perms(gu, "data/mine", GUEST, 0, XS_PERM_READ), -EACCES);   /* no longer owner */
}

TEST(set_perms_rejects_bad_entries)
{
	struct xs_permissions bad_bits[1] = { { 0, XS_PERM_OWNER } };
	struct xs_permissions bad_id[1] = { { 70000, XS_PERM_READ } };

	setup();
	CHECK_EQ(xs_mkdir(d0, 0, "/sp"), 0);
	CHECK_EQ(xs_set_perms(d0, 0, "/sp", bad_bits, 1), -EINVAL);
	CHECK_EQ(xs_set_perms(d0, 0, "/sp", bad_id, 1), -EINVAL);
	CHECK_EQ(xs_set_perms(d0, 0, "/sp", bad_id, 0), -EINVAL);
	CHECK_EQ(xs_set_perms(d0, 0, "/missing", bad_id, 0), -EINVAL);
}

TEST(get_and_set_perms_over_the_wire)
{
	const struct msg *m;

	setup();
	CHECK_EQ(xs_mkdir(d0, 0, "/wp"), 0);
	CHECK(is_ok(WIRE(d0, &q0, XS_SET_PERMS, 0, "/wp\0" "n0\0" "r5\0" "w7\0" "b9\0"), XS_SET_PERMS));
	m = WIRE(d0, &q0, XS_GET_PERMS, 0, "/wp\0");
	CHECK(m && m->hdr.type == XS_GET_PERMS);
	CHECK(m->hdr.len == 12 && !memcmp(m->body, "n0\0r5\0w7\0b9\0", 12));
	CHECK_ERROR(WIRE(d0, &q0, XS_SET_PERMS, 0, "/wp\0"), "EINVAL");
	CHECK_ERROR(WIRE(d0, &q0, XS_SET_PERMS, 0, "/wp\0" "x0\0"), "EINVAL");
	CHECK_ERROR(WIRE(d0, &q0, XS_SET_PERMS, 0, "/wp\0" "r\0"), "EINVAL");
	CHECK_ERROR(WIRE(d0, &q0, XS_SET_PERMS, 0, "/wp\0" "r5x\0"), "EINVAL");
	CHECK_ERROR(WIRE(d0, &q0, XS_SET_PERMS, 0, "/wp\0" "r65536\0"), "EINVAL");
	CHECK_ERROR(WIRE(d0, &q0, XS_SET_PERMS, 0, "/wp\0" "\0"), "EINVAL");
	CHECK_ERROR(WIRE(d0, &q0, XS_SET_PERMS, 0, "/missing\0" "n0\0"), "ENOENT");
}

TEST(special_watch_paths_need_permission_for_guests)
{
	setup();
	CHECK_EQ(xs_watch(d0, "@releaseDomain", "d0"), 0);
	CHECK_EQ(xs_watch(gu, "@releaseDomain", "gu"), 0);
	CHECK_EQ(xs_watch(gu, "@introduceDomain", "gi"), 0);
	xs_domain_release(st, 9);
	CHECK_EQ(events(&q0, "@releaseDomain", "d0"), 1);
	CHECK_EQ(all_events(&qg), 0);
	/* SET_PERMS on the special path lets the guest hear it. */
	CHECK(is_ok(WIRE(d0, &q0, XS_SET_PERMS, 0, "@releaseDomain\0" "n0\0" "r5\0"), XS_SET_PERMS));
	CHECK_ERROR(WIRE(gu, &qg, XS_SET_PERMS, 0, "@releaseDomain\0" "n5\0"), "EACCES");
	CHECK_ERROR(WIRE(d0, &q0, XS_SET_PERMS, 0, "@otherSpecial\0" "n0\0"), "EINVAL");
	clear(&qg);
	xs_domain_release(st, 9);
	CHECK_EQ(events(&qg, "@releaseDomain", "gu"), 1);
	CHECK_EQ(xs_domain_introduce(st, 9), 0);
	CHECK_EQ(events(&qg, "@introduceDomain", "gi"), 0);
}

/* ------------------------------------------------------------------ */
/* Watches                                                             */
/* ------------------------------------------------------------------ */

TEST(watch_fires_once_at_once_after_the_ok)
{
	setup();
	clear(&q0);
	CHECK(is_ok(WIRE(d0, &q0, XS_WATCH, 0, "/nonexistent\0tok\0"), XS_WATCH));
	CHECK_EQ(q0.n, 2);
	CHECK_EQ(q0.m[0].hdr.type, XS_WATCH);
	CHECK_EQ(q0.m[1].hdr.type, XS_WATCH_EVENT);
	CHECK_EQ(q0.m[1].hdr.req_id, 0);
	CHECK_EQ(q0.m[1].hdr.tx_id, 0);
	CHECK_EQ(q0.m[1].hdr.len, sizeof("/nonexistent\0tok"));
	CHECK_EQ(events(&q0, "/nonexistent", "tok"), 1);
}

TEST(watch_fires_for_the_path_and_below_not_beside)
{
	setup();
	CHECK_EQ(xs_watch(d0, "/w/a", "t"), 0);
	clear(&q0);
	CHECK_EQ(wr(d0, 0, "/w/a", "1"), 0);
	CHECK_EQ(wr(d0, 0, "/w/a/b/c", "2"), 0);
	CHECK_EQ(wr(d0, 0, "/w/ab", "3"), 0);          /* a sibling with a common prefix */
	CHECK_EQ(wr(d0, 0, "/w", "4"), 0);             /* a parent */
	CHECK_EQ(events(&q0, "/w/a", "t"), 1);
	CHECK_EQ(events(&q0, "/w/a/b/c", "t"), 1);
	CHECK_EQ(all_events(&q0), 2);
}

TEST(watch_on_root_sees_everything)
{
	setup();
	CHECK_EQ(xs_watch(d0, "/", "all"), 0);
	clear(&q0);
	CHECK_EQ(wr(d0, 0, "/x/y", "1"), 0);
	CHECK_EQ(events(&q0, "/x/y", "all"), 1);
}

TEST(watches_fire_on_mkdir_rm_and_set_perms_but_not_on_noops)
{
	setup();
	CHECK_EQ(xs_watch(d0, "/n", "t"), 0);
	clear(&q0);
	CHECK_EQ(xs_mkdir(d0, 0, "/n"), 0);
	CHECK_EQ(xs_mkdir(d0, 0, "/n"), 0);            /* exists: no event */
	CHECK_EQ(set_perms(d0, "/n", 0, GUEST, XS_PERM_READ), 0);
	CHECK_EQ(xs_rm(d0, 0, "/n/none"), 0);          /* nothing removed: no event */
	CHECK_EQ(xs_rm(d0, 0, "/n"), 0);
	CHECK_EQ(events(&q0, "/n", "t"), 3);
	CHECK_EQ(all_events(&q0), 3);
}

TEST(rm_fires_exact_events_for_watched_nodes_below)
{
	setup();
	CHECK_EQ(wr(d0, 0, "/t/a/b", "1"), 0);
	CHECK_EQ(xs_watch(d0, "/t/a/b", "deep"), 0);
	CHECK_EQ(xs_watch(d0, "/t/a/b/none", "absent"), 0);
	CHECK_EQ(xs_watch(d0, "/t", "top"), 0);
	clear(&q0);
	CHECK_EQ(xs_rm(d0, 0, "/t/a"), 0);
	CHECK_EQ(events(&q0, "/t/a/b", "deep"), 1);
	CHECK_EQ(events(&q0, "/t/a", "top"), 1);
	CHECK_EQ(events(&q0, "/t/a/b", "top"), 0);     /* below the removed node: exact only */
	CHECK_EQ(all_events(&q0), 2);
}

TEST(relative_watch_reports_relative_paths)
{
	setup();
	CALL(make_home());
	clear(&qg);
	CHECK(is_ok(WIRE(gu, &qg, XS_WATCH, 0, "data\0rel\0"), XS_WATCH));
	CHECK_EQ(events(&qg, "data", "rel"), 1);
	CHECK_EQ(wr(d0, 0, "/local/domain/5/data/x", "1"), 0);
	CHECK_EQ(events(&qg, "data/x", "rel"), 1);
	CHECK_EQ(xs_watch(gu, "/local/domain/5/data", "abs"), 0);
	clear(&qg);
	CHECK_EQ(wr(gu, 0, "data/y", "1"), 0);
	CHECK_EQ(events(&qg, "data/y", "rel"), 1);
	CHECK_EQ(events(&qg, "/local/domain/5/data/y", "abs"), 1);
}

TEST(unwatch_stops_events_and_unknown_watches_are_enoent)
{
	setup();
	CHECK_EQ(xs_watch(d0, "/u", "t1"), 0);
	CHECK_EQ(xs_watch(d0, "/u", "t2"), 0);
	CHECK(is_ok(WIRE(d0, &q0, XS_UNWATCH, 0, "/u\0t1\0"), XS_UNWATCH));
	clear(&q0);
	CHECK_EQ(wr(d0, 0, "/u", "1"), 0);
	CHECK_EQ(events(&q0, "/u", "t1"), 0);
	CHECK_EQ(events(&q0, "/u", "t2"), 1);
	CHECK_EQ(xs_unwatch(d0, "/u", "t1"), -ENOENT);
	CHECK_EQ(xs_unwatch(d0, "/u", "other"), -ENOENT);
	CHECK_EQ(xs_unwatch(d0, "u", "t2"), -ENOENT);  /* "u" is /local/domain/0/u */
	CHECK_EQ(xs_unwatch(d0, "/u", "t2"), 0);
}

TEST(same_path_and_token_twice_is_eexist)
{
	setup();
	CHECK_EQ(xs_watch(d0, "/e", "t"), 0);
	CHECK_EQ(xs_watch(d0, "/e", "t"), -EEXIST);
	CHECK_EQ(xs_watch(d0, "/e", "u"), 0);
	CHECK_EQ(xs_watch(d0, "/local/domain/0/e", "t"), 0);
	CHECK_EQ(xs_watch(d0, "e", "t"), -EEXIST);      /* the same node as the line above */
}

TEST(watch_paths_are_checked)
{
	setup();
	CHECK_EQ(xs_watch(d0, "/bad//path", "t"), -EINVAL);
	CHECK_EQ(xs_watch(d0, "/bad/", "t"), -EINVAL);
	CHECK_EQ(xs_watch(d0, "@anySpecialSyntax", "t"), 0);
	CHECK_ERROR(WIRE(d0, &q0, XS_WATCH, 0, "/only-path\0"), "EINVAL");
	CHECK_ERROR(WIRE(d0, &q0, XS_WATCH, 0, "/p\0t\0extra\0"), "EINVAL");
	CHECK_ERROR(WIRE(d0, &q0, XS_UNWATCH, 0, "/p\0"), "EINVAL");
}

TEST(guest_hears_only_about_nodes_it_may_read)
{
	setup();
	CALL(make_home());
	CHECK_EQ(xs_watch(gu, "/", "root"), 0);
	clear(&qg);
	CHECK_EQ(wr(d0, 0, "/private/deep/node", "x"), 0);       /* neither it nor its parent readable */
	CHECK_EQ(wr(d0, 0, "/local/domain/5/visible", "v"), 0);
	CHECK_EQ(events(&qg, "/local/domain/5/visible", "root"), 1);
	CHECK_EQ(all_events(&qg), 1);
	/* Losing read access still reports the change that took it away. */
	clear(&qg);
	CHECK_EQ(set_perms(d0, "/local/domain/5/visible", 0, 0, XS_PERM_NONE), 0);
	CHECK_EQ(events(&qg, "/local/domain/5/visible", "root"), 1);
}

TEST(introduce_and_release_fire_special_watches_for_dom0)
{
	setup();
	CHECK(!xs_domain_is_introduced(st, 3));
	CHECK_EQ(xs_watch(d0, "@introduceDomain", "in"), 0);
	CHECK_EQ(xs_watch(d0, "@releaseDomain", "out"), 0);
	CHECK_EQ(xs_watch(d0, "/", "root"), 0);
	clear(&q0);
	CHECK_EQ(xs_domain_introduce(st, 3), 0);
	CHECK(xs_domain_is_introduced(st, 3));
	CHECK_EQ(events(&q0, "@introduceDomain", "in"), 1);
	xs_domain_release(st, 3);
	CHECK(!xs_domain_is_introduced(st, 3));
	CHECK_EQ(events(&q0, "@releaseDomain", "out"), 1);
	CHECK_EQ(all_events(&q0), 2);                   /* "/" does not match special events */
}

TEST(reset_watches_drops_watches_and_transactions)
{
	uint32_t tx;

	setup();
	CHECK_EQ(xs_watch(d0, "/rw", "t"), 0);
	CHECK_EQ(xs_transaction_start(d0, &tx), 0);
	CHECK(is_ok(WIRE(d0, &q0, XS_RESET_WATCHES, 0, "\0"), XS_RESET_WATCHES));
	clear(&q0);
	CHECK_EQ(wr(d0, 0, "/rw", "1"), 0);
	CHECK_EQ(all_events(&q0), 0);
	CHECK(!xs_transaction_exists(d0, tx));
	CHECK_EQ(xs_transaction_end(d0, tx, true), -ENOENT);
}

TEST(freed_connection_gets_no_more_events)
{
	struct xs_conn *c;
	struct outq *q = calloc(1, sizeof(*q));

	setup();
	CHECK(q != NULL);
	c = xs_conn_new(st, 0, capture, q);
	CHECK_EQ(xs_watch(c, "/f", "t"), 0);
	xs_conn_free(c);
	CHECK_EQ(wr(d0, 0, "/f", "1"), 0);
	CHECK_EQ(q->n, 0);
	free(q);
}

/* ------------------------------------------------------------------ */
/* Transactions                                                        */
/* ------------------------------------------------------------------ */

TEST(transaction_sees_a_snapshot_and_its_own_writes)
{
	uint32_t tx;

	setup();
	CHECK_EQ(wr(d0, 0, "/s/a", "old"), 0);
	CHECK_EQ(xs_transaction_start(d0, &tx), 0);
	CHECK(tx != 0);
	CHECK_EQ(wr(d0, tx, "/s/a", "tx"), 0);
	CHECK_EQ(wr(d0, tx, "/s/new", "n"), 0);
	CHECK_STR(rd(d0, tx, "/s/a", NULL), "tx");
	CHECK_STR(rd(d0, 0, "/s/a", NULL), "old");      /* not visible outside */
	CHECK_EQ(read_err(d0, 0, "/s/new"), -ENOENT);
	CHECK_EQ(wr(d0, 0, "/s/outside", "o"), 0);
	CHECK_EQ(read_err(d0, tx, "/s/outside"), -ENOENT);     /* nor the outside inside */
	CHECK_EQ(xs_transaction_end(d0, tx, true), -EAGAIN);   /* /s changed under it */
	CHECK_STR(rd(d0, 0, "/s/a", NULL), "old");
	CHECK_EQ(read_err(d0, 0, "/s/new"), -ENOENT);
}

TEST(commit_applies_everything_at_once)
{
	uint32_t tx;

	setup();
	CHECK_EQ(wr(d0, 0, "/c/keep", "k"), 0);
	CHECK_EQ(wr(d0, 0, "/c/gone/sub", "g"), 0);
	CHECK_EQ(xs_transaction_start(d0, &tx), 0);
	CHECK_EQ(wr(d0, tx, "/c/keep", "k2"), 0);
	CHECK_EQ(wr(d0, tx, "/c/made/deep", "m"), 0);
	CHECK_EQ(xs_rm(d0, tx, "/c/gone"), 0);
	CHECK_EQ(xs_transaction_end(d0, tx, true), 0);
	CHECK_STR(rd(d0, 0, "/c/keep", NULL), "k2");
	CHECK_STR(rd(d0, 0, "/c/made/deep", NULL), "m");
	CHECK_EQ(read_err(d0, 0, "/c/gone"), -ENOENT);
	CHECK_EQ(xs_store_nodes_owned(st, 0), 3 + 4);   /* c, keep, made, deep */
	CHECK(!xs_transaction_exists(d0, tx));
	CHECK_EQ(xs_store_check(st), 0);
}

TEST(abort_discards_the_transaction)
{
	uint32_t tx;

	setup();
	CHECK_EQ(xs_transaction_start(d0, &tx), 0);
	CHECK_EQ(wr(d0, tx, "/ab", "x"), 0);
	CHECK_EQ(xs_transaction_end(d0, tx, false), 0);
	CHECK_EQ(read_err(d0, 0, "/ab"), -ENOENT);
	CHECK_EQ(xs_store_nodes_owned(st, 0), 3);
	CHECK_EQ(xs_transaction_end(d0, tx, false), -ENOENT);
}

TEST(commit_is_eagain_when_a_node_it_read_changed)
{
	uint32_t tx;

	setup();
	CHECK_EQ(wr(d0, 0, "/k/a", "1"), 0);
	CHECK_EQ(xs_transaction_start(d0, &tx), 0);
	CHECK_STR(rd(d0, tx, "/k/a", NULL), "1");
	CHECK_EQ(wr(d0, tx, "/k/b", "from-tx"), 0);
	CHECK_EQ(wr(d0, 0, "/k/a", "2"), 0);
	CHECK_EQ(xs_transaction_end(d0, tx, true), -EAGAIN);
	CHECK_EQ(read_err(d0, 0, "/k/b"), -ENOENT);
}

TEST(commit_is_eagain_when_a_node_it_found_missing_appeared)
{
	uint32_t tx;

	setup();
	CHECK_EQ(xs_mkdir(d0, 0, "/m"), 0);
	CHECK_EQ(xs_transaction_start(d0, &tx), 0);
	CHECK_EQ(read_err(d0, tx, "/m/x"), -ENOENT);
	CHECK_EQ(wr(d0, tx, "/other", "o"), 0);
	CHECK_EQ(wr(gu, 0, "/m/x", "late"), -EACCES);
	CHECK_EQ(wr(d0, 0, "/m/x", "late"), 0);
	CHECK_EQ(xs_transaction_end(d0, tx, true), -EAGAIN);
}

TEST(commit_succeeds_when_only_unrelated_nodes_changed)
{
	uint32_t tx;

	setup();
	CHECK_EQ(wr(d0, 0, "/one/a", "1"), 0);
	CHECK_EQ(wr(d0, 0, "/two/b", "1"), 0);
	CHECK_EQ(xs_transaction_start(d0, &tx), 0);
	CHECK_STR(rd(d0, tx, "/one/a", NULL), "1");
	CHECK_EQ(wr(d0, tx, "/one/a", "tx"), 0);
	CHECK_EQ(wr(d0, 0, "/two/b", "outside"), 0);
	CHECK_EQ(wr(d0, 0, "/two/c", "outside"), 0);
	CHECK_EQ(xs_transaction_end(d0, tx, true), 0);
	CHECK_STR(rd(d0, 0, "/one/a", NULL), "tx");
	CHECK_STR(rd(d0, 0, "/two/b", NULL), "outside");
	CHECK_STR(rd(d0, 0, "/two/c", NULL), "outside");
}

TEST(second_of_two_interfering_transactions_gets_eagain)
{
	uint32_t t1, t2;

	setup();
	CHECK_EQ(wr(d0, 0, "/A", "a"), 0);
	CHECK_EQ(wr(d0, 0, "/B", "b"), 0);
	CHECK_EQ(xs_transaction_start(d0, &t1), 0);
	CHECK_EQ(xs_transaction_start(d0, &t2), 0);
	CHECK(t1 != t2);
	CHECK_STR(rd(d0, t1, "/A", NULL), "a");
	CHECK_STR(rd(d0, t2, "/B", NULL), "b");
	CHECK_EQ(wr(d0, t1, "/B", "1"), 0);
	CHECK_EQ(wr(d0, t2, "/A", "2"), 0);
	CHECK_EQ(xs_transaction_end(d0, t1, true), 0);
	CHECK_EQ(xs_transaction_end(d0, t2, true), -EAGAIN);
	CHECK_STR(rd(d0, 0, "/A", NULL), "a");
	CHECK_STR(rd(d0, 0, "/B", NULL), "1");
}

TEST(transaction_watch_events_fire_on_commit_only)
{
	uint32_t tx;

	setup();
	CHECK_EQ(wr(d0, 0, "/tw/old/sub", "x"), 0);
	CHECK_EQ(xs_watch(d0, "/tw", "t"), 0);
	CHECK_EQ(xs_watch(d0, "/tw/old/sub", "sub"), 0);
	clear(&q0);
	CHECK_EQ(xs_transaction_start(d0, &tx), 0);
	CHECK_EQ(wr(d0, tx, "/tw/new", "1"), 0);
	CHECK_EQ(xs_rm(d0, tx, "/tw/old"), 0);
	CHECK_EQ(all_events(&q0), 0);
	CHECK_EQ(xs_transaction_end(d0, tx, true), 0);
	CHECK_EQ(events(&q0, "/tw/new", "t"), 1);
	CHECK_EQ(events(&q0, "/tw/old", "t"), 1);
	CHECK_EQ(events(&q0, "/tw/old/sub", "sub"), 1);
	CHECK_EQ(all_events(&q0), 3);
	clear(&q0);
	CHECK_EQ(xs_transaction_start(d0, &tx), 0);
	CHECK_EQ(wr(d0, tx, "/tw/aborted", "1"), 0);
	CHECK_EQ(xs_transaction_end(d0, tx, false), 0);
	CHECK_EQ(all_events(&q0), 0);
	CHECK_EQ(xs_store_check(st), 0);
}

TEST(transaction_ids_are_per_connection_and_checked)
{
	uint32_t tx;

	setup();
	CHECK_EQ(xs_transaction_start(d0, &tx), 0);
	CHECK_EQ(wr(gu, tx, "/x", "1"), -ENOENT);      /* another connection's id */
	CHECK_EQ(read_err(d0, tx + 1000, "/tool"), -ENOENT);
	CHECK_ERROR(WIRE(d0, &q0, XS_READ, tx + 1000, "/tool\0"), "ENOENT");
	CHECK_ERROR(WIRE(d0, &q0, XS_GET_DOMAIN_PATH, tx + 1000, "1\0"), "ENOENT");
	CHECK_ERROR(WIRE(d0, &q0, XS_TRANSACTION_START, tx, "\0"), "EBUSY");
	CHECK_ERROR(WIRE(d0, &q0, XS_TRANSACTION_END, 0, "T\0"), "ENOENT");
	CHECK_ERROR(WIRE(d0, &q0, XS_TRANSACTION_END, tx, "X\0"), "EINVAL");
	CHECK_ERROR(WIRE(d0, &q0, XS_TRANSACTION_END, tx, "T"), "EINVAL");
	CHECK(is_ok(WIRE(d0, &q0, XS_WATCH, tx + 1000, "/w\0t\0"), XS_WATCH));  /* tx_id ignored */
	CHECK(is_ok(WIRE(d0, &q0, XS_TRANSACTION_END, tx, "F\0"), XS_TRANSACTION_END));
}

TEST(transaction_over_the_wire)
{
	const struct msg *m;
	unsigned long id;

	setup();
	m = WIRE(d0, &q0, XS_TRANSACTION_START, 0, "\0");
	CHECK(m && m->hdr.type == XS_TRANSACTION_START);
	CHECK_EQ(m->hdr.len, strlen(m->body) + 1);
	id = strtoul(m->body, NULL, 10);
	CHECK(id != 0);
	m = WIRE(d0, &q0, XS_WRITE, (uint32_t)id, "/wt\0value");
	CHECK(is_ok(m, XS_WRITE));
	CHECK_EQ(m->hdr.tx_id, id);                      /* replies echo tx_id */
	CHECK_EQ(read_err(d0, 0, "/wt"), -ENOENT);
	CHECK(is_ok(WIRE(d0, &q0, XS_TRANSACTION_END, (uint32_t)id, "T\0"), XS_TRANSACTION_END));
	CHECK_STR(rd(d0, 0, "/wt", NULL), "value");
}

TEST(guest_transaction_respects_permissions_and_ownership)
{
	uint32_t tx;

	setup();
	CALL(make_home());
	CHECK_EQ(xs_transaction_start(gu, &tx), 0);
	CHECK_EQ(wr(gu, tx, "name", "x"), -EACCES);
	CHECK_EQ(wr(gu, tx, "data/t/u", "x"), 0);
	CHECK_EQ(xs_store_nodes_owned(st, GUEST), 1);   /* counted on commit */
	CHECK_EQ(xs_transaction_end(gu, tx, true), 0);
	CHECK_EQ(xs_store_nodes_owned(st, GUEST), 3);
	CHECK_STR(rd(d0, 0, "/local/domain/5/data/t/u", NULL), "x");
	CHECK_EQ(xs_store_check(st), 0);
}

TEST(commit_keeps_concurrent_changes_below_a_removed_nodes_siblings)
{
	uint32_t tx;

	setup();
	CHECK_EQ(wr(d0, 0, "/cc/a/x", "1"), 0);
	CHECK_EQ(wr(d0, 0, "/cc/b/y", "1"), 0);
	CHECK_EQ(xs_transaction_start(d0, &tx), 0);
	CHECK_EQ(xs_rm(d0, tx, "/cc/a"), 0);
	CHECK_EQ(wr(d0, 0, "/cc/b/y", "2"), 0);        /* below a sibling: no conflict */
	CHECK_EQ(xs_transaction_end(d0, tx, true), 0);
	CHECK_EQ(read_err(d0, 0, "/cc/a"), -ENOENT);
	CHECK_STR(rd(d0, 0, "/cc/b/y", NULL), "2");
	CHECK_EQ(xs_store_nodes_owned(st, 0), 3 + 3);   /* cc, b, y */
	CHECK_EQ(xs_store_check(st), 0);
}

TEST(set_perms_in_a_transaction_applies_on_commit)
{
	uint32_t tx;

	setup();
	CHECK_EQ(wr(d0, 0, "/tp", "v"), 0);
	CHECK_EQ(xs_transaction_start(d0, &tx), 0);
	{
		struct xs_permissions p[2] = { { GUEST, XS_PERM_NONE }, { 0, XS_PERM_READ } };

		CHECK_EQ(xs_set_perms(d0, tx, "/tp", p, 2), 0);
	}
	CHECK_EQ(read_err(gu, 0, "/tp"), -EACCES);
	CHECK_EQ(xs_transaction_end(d0, tx, true), 0);
	CHECK_STR(rd(gu, 0, "/tp", NULL), "v");
	CHECK_EQ(xs_store_nodes_owned(st, GUEST), 1);
	CHECK_EQ(xs_store_check(st), 0);
}

/* ------------------------------------------------------------------ */
/* Quotas                                                              */
/* ------------------------------------------------------------------ */

TEST(guest_node_quota_is_enospc)
{
	char path[64];

	setup();
	CALL(make_home());
	xs_store_quota(st)->nodes = 5;          /* data (owned) + 4 more */
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "data/n%d", i);
		CHECK_EQ(wr(gu, 0, path, "x"), 0);
	}
	CHECK_EQ(wr(gu, 0, "data/n4", "x"), -ENOSPC);
	CHECK_EQ(wr(gu, 0, "data/n0", "rewrite is fine"), 0);
	CHECK_EQ(xs_rm(gu, 0, "data/n0"), 0);
	CHECK_EQ(wr(gu, 0, "data/a/b", "two levels"), -ENOSPC);
	CHECK_EQ(wr(gu, 0, "data/n4", "x"), 0);
	CHECK_EQ(wr(d0, 0, "/local/domain/5/data/by-dom0", "x"), 0);   /* dom0 is not limited */
	CHECK_EQ(xs_store_nodes_owned(st, GUEST), 6);
	CHECK_EQ(xs_store_check(st), 0);
}

TEST(guest_node_quota_counts_transaction_nodes)
{
	uint32_t tx;

	setup();
	CALL(make_home());
	xs_store_quota(st)->nodes = 3;
	CHECK_EQ(xs_transaction_start(gu, &tx), 0);
	CHECK_EQ(wr(gu, tx, "data/a", "x"), 0);
	CHECK_EQ(wr(gu, tx, "data/b", "x"), 0);
	CHECK_EQ(wr(gu, tx, "data/c", "x"), -ENOSPC);
	CHECK_EQ(wr(gu, 0, "data/z", "outside"), 0);
	CHECK_EQ(xs_transaction_end(gu, tx, true), -EAGAIN);   /* data changed */
}

TEST(guest_node_size_quota_is_enospc)
{
	static char big[XENSTORE_PAYLOAD_MAX];

	setup();
	CALL(make_home());
	memset(big, 'v', sizeof(big));
	CHECK_EQ(xs_write(gu, 0, "data/v", big, 1000), 0);
	CHECK_EQ(xs_write(gu, 0, "data/v", big, 2048), -ENOSPC);
	CHECK_EQ(xs_write(d0, 0, "/local/domain/5/data/v", big, 4000), 0);
	CHECK_EQ(xs_write(d0, 0, "/local/domain/5/data/v", big, XENSTORE_PAYLOAD_MAX + 1), -E2BIG);
}

TEST(guest_watch_quota_is_e2big)
{
	char tok[16];

	setup();
	xs_store_quota(st)->watches = 3;
	for (int i = 0; i < 3; i++) {
		snprintf(tok, sizeof(tok), "%d", i);
		CHECK_EQ(xs_watch(gu, "/q", tok), 0);
	}
	CHECK_EQ(xs_watch(gu, "/q", "3"), -E2BIG);
	CHECK_ERROR(WIRE(gu, &qg, XS_WATCH, 0, "/q\0" "4\0"), "E2BIG");
	CHECK_EQ(xs_unwatch(gu, "/q", "0"), 0);
	CHECK_EQ(xs_watch(gu, "/q", "3"), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(tok, sizeof(tok), "d0-%d", i);
		CHECK_EQ(xs_watch(d0, "/q", tok), 0);
	}
}

TEST(guest_transaction_quota_is_enospc)
{
	uint32_t tx[11];

	setup();
	for (int i = 0; i < 10; i++)
		CHECK_EQ(xs_transaction_start(gu, &tx[i]), 0);
	CHECK_EQ(xs_transaction_start(gu, &tx[10]), -ENOSPC);
	CHECK_EQ(xs_transaction_end(gu, tx[3], false), 0);
	CHECK_EQ(xs_transaction_start(gu, &tx[10]), 0);
	CHECK_EQ(xs_transaction_start(d0, &tx[0]), 0);
}

TEST(guest_transaction_node_quota_is_enospc)
{
	char path[64];
	uint32_t tx;

	setup();
	CALL(make_home());
	xs_store_quota(st)->tx_nodes = 4;
	CHECK_EQ(xs_transaction_start(gu, &tx), 0);
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "data/r%d", i);
		CHECK_EQ(read_err(gu, tx, path), -ENOENT);
	}
	CHECK_EQ(read_err(gu, tx, "data/r0"), -ENOENT);        /* already counted */
	CHECK_EQ(read_err(gu, tx, "data/r9"), -ENOSPC);
	CHECK_EQ(wr(gu, tx, "data/r9", "x"), -ENOSPC);
	CHECK_EQ(xs_rm(gu, tx, "data/r9"), -ENOSPC);
	CHECK_EQ(wr(gu, tx, "data/r1", "x"), 0);                /* touched before: fine */
	CHECK_EQ(xs_transaction_end(gu, tx, true), 0);
	CHECK_STR(rd(gu, 0, "data/r1", NULL), "x");
}

TEST(guest_permission_list_quota_is_enospc)
{
	struct xs_permissions p[6] = {
		{ GUEST, 0 }, { 1, 1 }, { 2, 1 }, { 3, 1 }, { 4, 1 }, { 6, 1 }
	};

	setup();
	CALL(make_home());
	CHECK_EQ(wr(gu, 0, "data/p", "x"), 0);
	CHECK_EQ(xs_set_perms(gu, 0, "data/p", p, 5), 0);
	CHECK_EQ(xs_set_perms(gu, 0, "data/p", p, 6), -ENOSPC);
	CHECK_ERROR(WIRE(gu, &qg, XS_SET_PERMS, 0, "data/p\0n5\0r1\0r2\0r3\0r4\0r6\0"), "ENOSPC");
	CHECK_EQ(xs_set_perms(d0, 0, "/local/domain/5/data/p", p, 6), 0);
}

TEST(guest_node_size_quota_counts_child_names_and_new_values)
{
	static char big[XENSTORE_PAYLOAD_MAX], path[XENSTORE_ABS_PATH_MAX];
	int i, ret = 0;

	setup();
	CALL(make_home());
	memset(big, 'v', sizeof(big));
	CHECK_EQ(xs_write(gu, 0, "data/newbig", big, 2040), -ENOSPC);   /* a new node's value */
	CHECK_EQ(read_err(gu, 0, "data/newbig"), -ENOENT);
	/* A parent whose child list would grow past the limit. */
	CHECK_EQ(xs_mkdir(gu, 0, "data/p"), 0);
	for (i = 0; i < 40 && !ret; i++) {
		snprintf(path, sizeof(path), "data/p/%0100d", i);
		ret = xs_mkdir(gu, 0, path);
	}
	CHECK_EQ(ret, -ENOSPC);
	CHECK(i > 15 && i < 25);
	CHECK_EQ(xs_mkdir(d0, 0, "/local/domain/5/data/p/dom0-may"), 0);
	/* A new intermediate level whose one child name is too long. */
	memcpy(path, "data/new/", 9);
	memset(path + 9, 'n', 2030);
	path[9 + 2030] = '\0';
	CHECK_EQ(xs_mkdir(gu, 0, path), -ENOSPC);
	CHECK_EQ(read_err(gu, 0, "data/new"), -ENOENT);
	CHECK_EQ(xs_store_check(st), 0);
}

TEST(commit_is_enospc_when_the_node_quota_filled_meanwhile)
{
	uint32_t tx;

	setup();
	CALL(make_home());
	CHECK_EQ(xs_mkdir(d0, 0, "/g2"), 0);
	CHECK_EQ(set_perms(d0, "/g2", GUEST, 0, XS_PERM_NONE), 0);
	xs_store_quota(st)->nodes = 4;                  /* the guest owns data and /g2 */
	CHECK_EQ(xs_transaction_start(gu, &tx), 0);
	CHECK_EQ(wr(gu, tx, "data/a", "x"), 0);
	CHECK_EQ(wr(gu, tx, "data/b", "x"), 0);
	CHECK_EQ(wr(d0, 0, "/g2/x", "dom0 makes the guest own one more"), 0);
	CHECK_EQ(xs_transaction_end(gu, tx, true), -ENOSPC);
	CHECK_EQ(read_err(gu, 0, "data/a"), -ENOENT);
	CHECK_EQ(xs_store_nodes_owned(st, GUEST), 3);
	CHECK_EQ(xs_store_check(st), 0);
}

TEST(over_long_watch_events_are_dropped)
{
	static char token[4001], path[200], huge[XENSTORE_PAYLOAD_MAX + 2];

	setup();
	memset(token, 't', 4000);
	CHECK_EQ(xs_watch(d0, "/", token), 0);
	clear(&q0);
	xs_watch_initial(d0, "/", token);
	CHECK_EQ(events(&q0, "/", token), 1);           /* 2 + 4001 bytes: fits */
	path[0] = '/';
	memset(path + 1, 'p', 120);
	CHECK_EQ(wr(d0, 0, path, "x"), 0);
	CHECK_EQ(events(&q0, path, token), 0);          /* 122 + 4001 bytes: does not */
	memset(huge, 'h', XENSTORE_PAYLOAD_MAX + 1);
	CHECK_EQ(xs_watch(d0, "/", huge), -EINVAL);     /* a token no event could carry */
}

TEST(get_perms_too_long_for_one_reply_is_e2big)
{
	static struct xs_permissions p[2000];
	static char msg[XENSTORE_PAYLOAD_MAX];
	uint32_t len = 0;

	setup();
	for (int i = 0; i < 2000; i++)
		p[i] = (struct xs_permissions){ .id = 65535, .perms = XS_PERM_READ | XS_PERM_WRITE };
	CHECK_EQ(xs_mkdir(d0, 0, "/many"), 0);
	CHECK_EQ(xs_set_perms(d0, 0, "/many", p, 1000), 0);     /* 7000 bytes as strings */
	CHECK_ERROR(WIRE(d0, &q0, XS_GET_PERMS, 0, "/many\0"), "E2BIG");
	CHECK_EQ(xs_set_perms(d0, 0, "/many", p, 2000), 0);
	CHECK_ERROR(WIRE(d0, &q0, XS_GET_PERMS, 0, "/many\0"), "E2BIG");
	/* And as many (empty, invalid) entries as a payload holds. */
	memcpy(msg, "/many", 6);
	len = sizeof(msg);
	CHECK_ERROR(wire(d0, &q0, XS_SET_PERMS, 0, msg, len), "EINVAL");
}

/* Every node below path as "path=value perms\n", into out (dom0's view, or a transaction's). */
static size_t dump(uint32_t tx, const char *path, char *out, size_t pos, size_t cap)
{
	char val[XENSTORE_PAYLOAD_MAX], names[XENSTORE_PAYLOAD_MAX], child[2 * XENSTORE_PAYLOAD_MAX + 2];
	struct xs_permissions p[8];
	unsigned int n;
	size_t vlen, nlen;

	if (xs_read(d0, tx, path, val, sizeof(val), &vlen) ||
	    xs_get_perms(d0, tx, path, p, 8, &n) ||
	    xs_directory(d0, tx, path, names, sizeof(names), &nlen))
		return pos + (size_t)snprintf(out + pos, cap - pos, "%s: unreadable\n", path);
	pos += (size_t)snprintf(out + pos, cap - pos, "%s=%.*s", path, (int)vlen, val);
	for (unsigned int i = 0; i < n && i < 8; i++)
		pos += (size_t)snprintf(out + pos, cap - pos, " %u:%u", p[i].id, p[i].perms);
	pos += (size_t)snprintf(out + pos, cap - pos, "\n");
	for (size_t off = 0; off < nlen; off += strlen(names + off) + 1) {
		snprintf(child, sizeof(child), "%s/%s", strcmp(path, "/") ? path : "", names + off);
		pos = dump(tx, child, out, pos, cap);
	}
	return pos;
}

struct oom_case {
	const char *name;
	void (*prepare)(void);          /* the state before the operation */
	int (*op)(void);                /* the operation, which may run out of memory */
};

static uint32_t oom_tx;

static void oom_prepare(void)
{
	setup();
	make_home();
	wr(d0, 0, "/a/b/c", "1");
	wr(d0, 0, "/a/b/d", "2");
	wr(d0, 0, "/a/e", "3");
	xs_watch(d0, "/a", "t");
	xs_watch(d0, "/a/b/c", "c");
	xs_watch(gu, "/", "g");
}

static void oom_prepare_tx(void)
{
	oom_prepare();
	xs_transaction_start(d0, &oom_tx);
	rd(d0, oom_tx, "/a/e", NULL);
	wr(d0, oom_tx, "/a/new/deep", "n");
	xs_rm(d0, oom_tx, "/a/b");
	wr(d0, oom_tx, "/local/domain/5/data/t", "t");
	wr(d0, 0, "/other", "outside");         /* so the commit has to merge */
	wr(d0, 0, "/a/b/d", "changed");         /* below a node the transaction removed */
}

static int oom_write_new(void) { return wr(d0, 0, "/a/x/y/z", "v"); }
static int oom_write_old(void) { return wr(d0, 0, "/a/b/c", "new value"); }
static int oom_guest_create(void) { return wr(gu, 0, "data/p/q", "v"); }
static int oom_rm(void) { return xs_rm(d0, 0, "/a/b"); }
static int oom_set_perms(void) { return set_perms(d0, "/a/b", GUEST, 0, XS_PERM_READ); }
static int oom_commit(void) { return xs_transaction_end(d0, oom_tx, true); }
static int oom_tx_write(void) { return wr(d0, oom_tx, "/a/b2/c2", "v"); }
static int oom_wire_write(void)
{
	const struct msg *m = WIRE(gu, &qg, XS_WRITE, 0, "data/w\0v");

	return !m ? -EIO : is_error(m, "ENOMEM") ? -ENOMEM : m->hdr.type == XS_WRITE ? 0 : -EIO;
}

TEST(operations_are_atomic_when_memory_runs_out)
{
	static const struct oom_case cases[] = {
		{ "write new path", oom_prepare, oom_write_new },
		{ "overwrite", oom_prepare, oom_write_old },
		{ "guest create", oom_prepare, oom_guest_create },
		{ "rm subtree", oom_prepare, oom_rm },
		{ "set perms", oom_prepare, oom_set_perms },
		{ "transaction write", oom_prepare_tx, oom_tx_write },
		{ "commit", oom_prepare_tx, oom_commit },
		{ "wire write", oom_prepare, oom_wire_write },
	};
	static char before[1 << 16], after[1 << 16], tx_before[1 << 16], tx_after[1 << 16];

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		int ret = -ENOMEM, failures = 0;

		for (long n = 0; ret == -ENOMEM && n < 1000; n++) {
			unsigned int events0, eventsg;

			cases[k].prepare();
			CHECK(!check_case_failed);
			dump(0, "/", before, 0, sizeof(before));
			/* (Reading the whole tree inside the transaction would make its commit conflict.) */
			if (cases[k].op == oom_tx_write)
				dump(oom_tx, "/", tx_before, 0, sizeof(tx_before));
			events0 = q0.n;
			eventsg = qg.n;
			xs_test_fail_alloc_after(n);
			ret = cases[k].op();
			xs_test_fail_alloc_after(-1);
			if (ret == -ENOMEM) {
				failures++;
				dump(0, "/", after, 0, sizeof(after));
				if (strcmp(before, after))
					printf("  %s: allocation %ld changed the store\n", cases[k].name, n);
				CHECK_STR(after, before);
				if (cases[k].op == oom_tx_write) {
					dump(oom_tx, "/", tx_after, 0, sizeof(tx_after));
					CHECK_STR(tx_after, tx_before);
				}
				CHECK_EQ(q0.n, events0);        /* no watch event for what did not happen */
				if (cases[k].op != oom_wire_write)
					CHECK_EQ(qg.n, eventsg);
				CHECK_EQ(xs_store_check(st), 0);
			}
		}
		if (ret)
			printf("  %s: %d\n", cases[k].name, ret);
		CHECK_EQ(ret, 0);
		CHECK(failures > 0);
		CHECK_EQ(xs_store_check(st), 0);
	}
}

TEST(watch_and_transaction_start_fail_cleanly_when_memory_runs_out)
{
	uint32_t tx = 0;
	int ret = -ENOMEM;

	setup();
	for (long n = 0; ret == -ENOMEM; n++) {
		xs_test_fail_alloc_after(n);
		ret = xs_watch(gu, "/w", "t");
		xs_test_fail_alloc_after(-1);
		if (ret == -ENOMEM)
			CHECK_EQ(xs_unwatch(gu, "/w", "t"), -ENOENT);
	}
	CHECK_EQ(ret, 0);
	xs_test_fail_alloc_after(0);
	CHECK_EQ(xs_transaction_start(gu, &tx), -ENOMEM);
	xs_test_fail_alloc_after(-1);
	CHECK_EQ(xs_store_check(st), 0);
	CHECK_EQ(xs_transaction_start(gu, &tx), 0);
	CHECK_EQ(tx, 1);
}

/* ------------------------------------------------------------------ */
/* Wire messages                                                       */
/* ------------------------------------------------------------------ */

TEST(replies_echo_req_id_and_tx_id_and_errors_use_xsd_names)
{
	struct xsd_sockmsg h = { .type = XS_READ, .req_id = 0xdeadbeef, .tx_id = 0, .len = 5 };

	setup();
	clear(&q0);
	CHECK_EQ(xs_handle_message(st, d0, &h, "/none"), 0);      /* no NUL: EINVAL */
	CHECK_EQ(q0.n, 1);
	CHECK_EQ(q0.m[0].hdr.req_id, 0xdeadbeef);
	CHECK_EQ(q0.m[0].hdr.type, XS_ERROR);
	CHECK_EQ(q0.m[0].hdr.len, sizeof("EINVAL"));
	CHECK_ERROR(WIRE(d0, &q0, XS_READ, 0, "/none\0"), "ENOENT");
	CHECK_STR(xs_error_name(EACCES), "EACCES");
	CHECK_STR(xs_error_name(EPERM), "EPERM");
	CHECK_STR(xs_error_name(12345), "EINVAL");
}

TEST(read_write_mkdir_rm_directory_over_the_wire)
{
	const struct msg *m;

	setup();
	CHECK(is_ok(WIRE(d0, &q0, XS_WRITE, 0, "/ww/a\0" "bin\0ary"), XS_WRITE));
	m = WIRE(d0, &q0, XS_READ, 0, "/ww/a\0");
	CHECK(m && m->hdr.type == XS_READ && m->hdr.len == 7 && !memcmp(m->body, "bin\0ary", 7));
	CHECK(is_ok(WIRE(d0, &q0, XS_WRITE, 0, "/ww/empty\0"), XS_WRITE));
	m = WIRE(d0, &q0, XS_READ, 0, "/ww/empty\0");
	CHECK(m && m->hdr.type == XS_READ && m->hdr.len == 0);
	CHECK(is_ok(WIRE(d0, &q0, XS_MKDIR, 0, "/ww/dir\0"), XS_MKDIR));
	m = WIRE(d0, &q0, XS_DIRECTORY, 0, "/ww\0");
	CHECK(m && m->hdr.len == 12 && !memcmp(m->body, "a\0empty\0dir\0", 12));
	CHECK(is_ok(WIRE(d0, &q0, XS_RM, 0, "/ww\0"), XS_RM));
	CHECK_ERROR(WIRE(d0, &q0, XS_DIRECTORY, 0, "/ww\0"), "ENOENT");
}

TEST(one_argument_messages_need_exactly_one_trailing_nul)
{
	static const uint32_t types[] = { XS_READ, XS_DIRECTORY, XS_GET_PERMS, XS_MKDIR, XS_RM,
					  XS_GET_DOMAIN_PATH };

	setup();
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		CHECK_ERROR(wire(d0, &q0, types[i], 0, "/tool", 5), "EINVAL");         /* no NUL */
		CHECK_ERROR(wire(d0, &q0, types[i], 0, "/tool\0x", 7), "EINVAL");     /* not at the end */
		CHECK_ERROR(wire(d0, &q0, types[i], 0, "/tool\0x\0", 8), "EINVAL");   /* two strings */
		CHECK_ERROR(wire(d0, &q0, types[i], 0, NULL, 0), "EINVAL");          /* nothing */
	}
	CHECK_ERROR(wire(d0, &q0, XS_WRITE, 0, "/no-nul", 7), "EINVAL");
}

TEST(unknown_and_reply_only_types_are_enosys)
{
	static const uint32_t types[] = { XS_WATCH_EVENT, XS_ERROR, 20, XS_TYPE_COUNT, 99,
					  XS_INVALID, 0xffffffffu };

	setup();
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		CHECK_ERROR(wire(d0, &q0, types[i], 0, "/\0", 2), "ENOSYS");
}

TEST(dom0_only_types_are_eacces_for_guests)
{
	static const uint32_t types[] = { XS_CONTROL, XS_INTRODUCE, XS_RELEASE, XS_RESUME,
					  XS_SET_TARGET, XS_IS_DOMAIN_INTRODUCED };

	setup();
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		CHECK_ERROR(wire(gu, &qg, types[i], 0, "1\0", 2), "EACCES");
		CHECK(!is_error(wire(d0, &q0, types[i], 0, "1\0", 2), "EACCES"));
	}
}

TEST(payload_longer_than_the_maximum_is_a_protocol_error)
{
	static char big[XENSTORE_PAYLOAD_MAX + 1];
	struct xsd_sockmsg h = { .type = XS_WRITE, .req_id = 1, .len = XENSTORE_PAYLOAD_MAX + 1 };

	setup();
	clear(&q0);
	CHECK_EQ(xs_handle_message(st, d0, &h, big), -EPROTO);
	h.len = 0xffffffffu;
	CHECK_EQ(xs_handle_message(st, d0, &h, big), -EPROTO);
	CHECK_EQ(q0.n, 0);                              /* no reply: the stream is dropped */
	h.len = XENSTORE_PAYLOAD_MAX;
	memcpy(big, "/max\0", 5);
	CHECK_EQ(xs_handle_message(st, d0, &h, big), 0);
	CHECK(is_ok(&q0.m[0], XS_WRITE));
}

TEST(domain_path_and_introduced_queries)
{
	const struct msg *m;

	setup();
	m = WIRE(gu, &qg, XS_GET_DOMAIN_PATH, 0, "7\0");
	CHECK(m && m->hdr.type == XS_GET_DOMAIN_PATH && m->hdr.len == sizeof("/local/domain/7"));
	CHECK_STR(m->body, "/local/domain/7");
	CHECK_ERROR(WIRE(gu, &qg, XS_GET_DOMAIN_PATH, 0, "x\0"), "EINVAL");
	CHECK_ERROR(WIRE(gu, &qg, XS_GET_DOMAIN_PATH, 0, "70000\0"), "EINVAL");
	m = WIRE(d0, &q0, XS_IS_DOMAIN_INTRODUCED, 0, "5\0");
	CHECK(m && m->hdr.len == 2 && !strcmp(m->body, "F"));
	CHECK_EQ(xs_domain_introduce(st, GUEST), 0);
	m = WIRE(d0, &q0, XS_IS_DOMAIN_INTRODUCED, 0, "5\0");
	CHECK(m && !strcmp(m->body, "T"));
	m = WIRE(d0, &q0, XS_IS_DOMAIN_INTRODUCED, 0, "32752\0");    /* DOMID_SELF */
	CHECK(m && !strcmp(m->body, "T"));
}

/* xorshift: the same "random" messages every run. */
static uint32_t rnd_state = 0x12345678;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Append the string s (with its NUL) to p[*len]. */
static void put_str(char *p, uint32_t *len, const char *s)
{
	size_t l = strlen(s) + 1;

	memcpy(p + *len, s, l);
	*len += (uint32_t)l;
}

/* A request of a random type, usually well formed, sometimes broken in one way. */
static uint32_t random_request(char *p, uint32_t *type)
{
	static const uint32_t types[] = {
		XS_READ, XS_WRITE, XS_WRITE, XS_WRITE, XS_MKDIR, XS_RM, XS_DIRECTORY,
		XS_DIRECTORY_PART, XS_GET_PERMS, XS_SET_PERMS, XS_WATCH, XS_UNWATCH,
		XS_TRANSACTION_START, XS_TRANSACTION_END, XS_TRANSACTION_END, XS_GET_DOMAIN_PATH,
		XS_RESET_WATCHES, XS_IS_DOMAIN_INTRODUCED,
	};
	static const char *const paths[] = {
		"/a", "/a/b", "/a/b/c", "/a/d", "/local/domain/5/data/x", "/local/domain/5/data/y/z",
		"data/q", "data/x/deep/er", "/local/domain/5", "/", "@releaseDomain", "/local/domain/5/data",
		"bad//path", "/trailing/", "",
	};
	static const char *const perms[] = { "n0", "r5", "b5", "w0", "n5", "r7", "x1", "r" };
	uint32_t len = 0, n;
	char val[32];

	*type = rnd() % 20 ? types[rnd() % (sizeof(types) / sizeof(types[0]))] : rnd() % 30;
	switch (*type) {
	case XS_WRITE:
		put_str(p, &len, paths[rnd() % 15]);
		n = (uint32_t)snprintf(val, sizeof(val), "v%u", rnd() % 1000);
		memcpy(p + len, val, n);
		len += n;
		break;
	case XS_WATCH:
	case XS_UNWATCH:
		put_str(p, &len, paths[rnd() % 15]);
		put_str(p, &len, rnd() % 2 ? "tokA" : "tokB");
		break;
	case XS_SET_PERMS:
		put_str(p, &len, paths[rnd() % 15]);
		for (n = rnd() % 7; n; n--)
			put_str(p, &len, perms[rnd() % 8]);
		break;
	case XS_DIRECTORY_PART:
		put_str(p, &len, paths[rnd() % 15]);
		snprintf(val, sizeof(val), "%u", rnd() % 8);
		put_str(p, &len, val);
		break;
	case XS_TRANSACTION_START:
	case XS_RESET_WATCHES:
		put_str(p, &len, "");
		break;
	case XS_TRANSACTION_END:
		put_str(p, &len, rnd() % 3 ? "T" : "F");
		break;
	case XS_GET_DOMAIN_PATH:
	case XS_IS_DOMAIN_INTRODUCED:
		snprintf(val, sizeof(val), "%u", rnd() % 10);
		put_str(p, &len, val);
		break;
	default:
		put_str(p, &len, paths[rnd() % 15]);
		break;
	}
	switch (rnd() % 12) {
	case 0:                                 /* lose the last byte (often the NUL) */
		len -= len > 0;
		break;
	case 1:                                 /* one random byte anywhere */
		if (len)
			p[rnd() % len] = (char)rnd();
		break;
	case 2:                                 /* garbage at the end */
		for (n = rnd() % 16; n; n--)
			p[len++] = (char)rnd();
		break;
	default:
		break;
	}
	return len;
}

TEST(random_messages_never_break_the_engine)
{
	static char payload[XENSTORE_PAYLOAD_MAX];
	uint32_t open_tx[2][4] = { { 0 } };
	unsigned int ok = 0, eagain = 0;

	setup();
	CALL(make_home());
	for (int i = 0; i < 40000; i++) {
		int who = rnd() & 1;
		struct xs_conn *c = who ? gu : d0;
		struct outq *q = who ? &qg : &q0;
		struct xsd_sockmsg h = { .req_id = rnd() };
		uint32_t r = rnd() % 10;

		h.len = random_request(payload, &h.type);
		h.tx_id = r < 4 ? 0 : r < 9 ? open_tx[who][rnd() % 4] : rnd();
		clear(q);
		CHECK_EQ(xs_handle_message(st, c, &h, payload), 0);
		CHECK(q->n >= 1);
		for (unsigned int j = 0; j < q->n; j++) {
			const struct msg *m = &q->m[j];

			CHECK(m->hdr.len <= XENSTORE_PAYLOAD_MAX);
			if (m->hdr.type == XS_WATCH_EVENT)
				continue;
			CHECK_EQ(m->hdr.req_id, h.req_id);
			CHECK(m->hdr.type == h.type || m->hdr.type == XS_ERROR);
			ok += m->hdr.type != XS_ERROR;
			eagain += m->hdr.type == XS_ERROR && !strcmp(m->body, "EAGAIN");
			if (m->hdr.type == XS_TRANSACTION_START)
				open_tx[who][rnd() % 4] = (uint32_t)strtoul(m->body, NULL, 10);
		}
		if (i % 1000 == 0)
			CHECK_EQ(xs_store_check(st), 0);
	}
	CHECK_EQ(xs_store_check(st), 0);
	CHECK(ok > 5000);                       /* many requests did something */
	CHECK(eagain > 10);                     /* and transactions did collide */
}

/* ------------------------------------------------------------------ */
/* The guest ring                                                      */
/* ------------------------------------------------------------------ */

static struct xenstore_domain_interface page;
static int kicks;
static char rx[16384];                  /* what the guest has taken off the response ring */
static uint32_t rx_len;

static void count_kick(void *opaque)
{
	kicks++;
}

/* The guest side: put bytes into the request ring (no checks: tests make it misbehave too). */
static void guest_put(const void *data, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		page.req[MASK_XENSTORE_IDX(page.req_prod + i)] = ((const char *)data)[i];
	page.req_prod += len;
}

static void guest_send(uint32_t type, uint32_t req_id, uint32_t tx, const void *payload, uint32_t len)
{
	struct xsd_sockmsg h = { .type = type, .req_id = req_id, .tx_id = tx, .len = len };

	guest_put(&h, sizeof(h));
	guest_put(payload, len);
}

#define GUEST_SEND(type, req_id, lit) guest_send(type, req_id, 0, lit, sizeof(lit) - 1)

/* The guest side: stream the response ring into rx, then take one whole message, if there is one. */
static bool guest_recv(struct msg *m)
{
	uint32_t avail = page.rsp_prod - page.rsp_cons;

	if (avail > XENSTORE_RING_SIZE)
		return false;
	while (avail-- && rx_len < sizeof(rx))
		rx[rx_len++] = page.rsp[MASK_XENSTORE_IDX(page.rsp_cons++)];
	if (rx_len < sizeof(m->hdr))
		return false;
	memcpy(&m->hdr, rx, sizeof(m->hdr));
	if (m->hdr.len > XENSTORE_PAYLOAD_MAX || rx_len < sizeof(m->hdr) + m->hdr.len)
		return false;
	memcpy(m->body, rx + sizeof(m->hdr), m->hdr.len);
	m->body[m->hdr.len] = '\0';
	rx_len -= (uint32_t)sizeof(m->hdr) + m->hdr.len;
	memmove(rx, rx + sizeof(m->hdr) + m->hdr.len, rx_len);
	return true;
}

/* A fresh page with all four indices at start, the ring served for GUEST. */
static void ring_setup(uint32_t start)
{
	setup();
	memset(&page, 0, sizeof(page));
	rx_len = 0;
	page.req_cons = page.req_prod = page.rsp_cons = page.rsp_prod = start;
	kicks = 0;
	CHECK_EQ(xs_ring_init(&ring, st, GUEST, &page, count_kick, NULL), 0);
	CHECK(page.server_features & XENSTORE_SERVER_FEATURE_RECONNECTION);
	CHECK(page.server_features & XENSTORE_SERVER_FEATURE_ERROR);
}

TEST(ring_request_gets_its_reply)
{
	struct msg m;

	CALL(ring_setup(0));
	CHECK(xs_domain_is_introduced(st, GUEST));
	GUEST_SEND(XS_GET_DOMAIN_PATH, 42, "5\0");
	CHECK(xs_ring_process(&ring));
	CHECK_EQ(page.req_cons, page.req_prod);
	CHECK(guest_recv(&m));
	CHECK_EQ(m.hdr.type, XS_GET_DOMAIN_PATH);
	CHECK_EQ(m.hdr.req_id, 42);
	CHECK_STR(m.body, "/local/domain/5");
	CHECK(!guest_recv(&m));
	CHECK(!xs_ring_process(&ring));                 /* nothing new: no notification */
}

TEST(ring_indices_wrap_around_2_to_the_32)
{
	struct msg m;

	CALL(ring_setup(0xffffffffu - 20));
	for (uint32_t i = 0; i < 50; i++) {
		GUEST_SEND(XS_GET_DOMAIN_PATH, i, "1234\0");
		CHECK(xs_ring_process(&ring));
		CHECK(guest_recv(&m));
		CHECK_EQ(m.hdr.req_id, i);
		CHECK_STR(m.body, "/local/domain/1234");
	}
	CHECK(page.req_prod < 0x10000);                 /* it did wrap */
	CHECK_EQ(page.error, XENSTORE_ERROR_NONE);
}

TEST(ring_keeps_partial_requests_across_calls)
{
	struct xsd_sockmsg h = { .type = XS_GET_DOMAIN_PATH, .req_id = 7, .len = 2 };
	struct msg m;

	CALL(ring_setup(1000));
	guest_put(&h, 5);                               /* part of the header */
	xs_ring_process(&ring);
	CHECK(!guest_recv(&m));
	guest_put((char *)&h + 5, sizeof(h) - 5);       /* the rest of it */
	xs_ring_process(&ring);
	CHECK(!guest_recv(&m));
	guest_put("9", 1);                              /* half the payload */
	xs_ring_process(&ring);
	CHECK(!guest_recv(&m));
	guest_put("\0", 1);
	CHECK(xs_ring_process(&ring));
	CHECK(guest_recv(&m));
	CHECK_EQ(m.hdr.req_id, 7);
	CHECK_STR(m.body, "/local/domain/9");
}

TEST(ring_handles_several_requests_in_one_call)
{
	struct msg m;

	CALL(ring_setup(0));
	for (uint32_t i = 0; i < 10; i++)
		GUEST_SEND(XS_GET_DOMAIN_PATH, i, "3\0");
	CHECK(xs_ring_process(&ring));
	for (uint32_t i = 0; i < 10; i++) {
		CHECK(guest_recv(&m));
		CHECK_EQ(m.hdr.req_id, i);
	}
}

TEST(ring_queues_replies_that_do_not_fit_until_the_guest_reads)
{
	static char value[1000];
	struct msg m;
	uint32_t got = 0;

	CALL(ring_setup(0));
	memset(value, 'v', sizeof(value));
	CHECK_EQ(xs_write(d0, 0, "/local/domain/5/big", value, sizeof(value)), 0);
	CHECK_EQ(set_perms(d0, "/local/domain/5/big", 0, GUEST, XS_PERM_READ), 0);
	for (uint32_t i = 0; i < 5; i++)
		GUEST_SEND(XS_READ, i, "/local/domain/5/big\0");
	CHECK(xs_ring_process(&ring));
	CHECK_EQ(page.req_cons, page.req_prod);         /* all read: under the soft limit */
	CHECK_EQ(page.rsp_prod - page.rsp_cons, XENSTORE_RING_SIZE);
	CHECK(ring.out_len > 0);
	while (got < 5) {
		while (guest_recv(&m)) {
			CHECK_EQ(m.hdr.req_id, got);
			CHECK_EQ(m.hdr.len, sizeof(value));
			CHECK(!memcmp(m.body, value, sizeof(value)));
			got++;
		}
		CHECK(xs_ring_process(&ring) || got == 5);
	}
	CHECK_EQ(ring.out_len, 0);
}

TEST(ring_stops_reading_requests_while_replies_pile_up)
{
	static char value[3000];
	struct msg m;
	uint32_t sent = 20, got = 0;

	CALL(ring_setup(0));
	memset(value, 'v', sizeof(value));
	CHECK_EQ(xs_write(d0, 0, "/local/domain/5/big", value, sizeof(value)), 0);
	CHECK_EQ(set_perms(d0, "/local/domain/5/big", 0, GUEST, XS_PERM_READ), 0);
	/* 20 requests do not fit the 1 KiB request ring at once: send as room allows. */
	for (uint32_t i = 0, queued = 0; i < 200 && got < sent; i++) {
		while (queued < sent && page.req_prod - page.req_cons + 40 <= XENSTORE_RING_SIZE) {
			GUEST_SEND(XS_READ, queued, "/local/domain/5/big\0");
			queued++;
		}
		xs_ring_process(&ring);
		CHECK(ring.out_len <= XS_RING_OUT_SOFT + XS_RING_MSG_MAX);
		/* The guest reads replies only every other round. */
		if (i % 2)
			while (got < sent && guest_recv(&m)) {
				CHECK_EQ(m.hdr.req_id, got);
				got++;
			}
	}
	CHECK_EQ(got, sent);
}

TEST(ring_reply_larger_than_the_ring_arrives_in_pieces)
{
	static char value[3000];
	static char stream[8192];
	uint32_t have = 0;
	struct xsd_sockmsg h;

	CALL(ring_setup(0));
	memset(value, 'z', sizeof(value));
	CHECK_EQ(xs_write(d0, 0, "/local/domain/5/big", value, sizeof(value)), 0);
	CHECK_EQ(set_perms(d0, "/local/domain/5/big", 0, GUEST, XS_PERM_READ), 0);
	GUEST_SEND(XS_READ, 1, "/local/domain/5/big\0");
	for (int i = 0; i < 10 && have < sizeof(h) + sizeof(value); i++) {
		xs_ring_process(&ring);
		while (page.rsp_cons != page.rsp_prod)          /* a byte-stream reader */
			stream[have++] = page.rsp[MASK_XENSTORE_IDX(page.rsp_cons++)];
	}
	memcpy(&h, stream, sizeof(h));
	CHECK_EQ(h.type, XS_READ);
	CHECK_EQ(h.len, sizeof(value));
	CHECK_EQ(have, sizeof(h) + sizeof(value));
	CHECK(!memcmp(stream + sizeof(h), value, sizeof(value)));
}

TEST(ring_with_a_request_index_too_far_ahead_is_dead)
{
	struct msg m;

	CALL(ring_setup(100));
	page.req_prod = page.req_cons + XENSTORE_RING_SIZE + 1;
	CHECK(xs_ring_process(&ring));
	CHECK_EQ(page.error, XENSTORE_ERROR_RINGIDX);
	CHECK_EQ(page.req_cons, 100);                   /* nothing consumed */
	page.req_prod = 0x80000000u;                    /* "behind" the consumer */
	xs_ring_process(&ring);
	CHECK(!guest_recv(&m));
}

TEST(ring_with_a_response_consumer_ahead_of_the_producer_is_dead)
{
	CALL(ring_setup(0));
	CHECK_EQ(xs_watch(ring.conn, "/local/domain/5", "t"), 0);
	page.rsp_cons = 5000;
	GUEST_SEND(XS_GET_DOMAIN_PATH, 1, "1\0");
	xs_ring_process(&ring);
	CHECK_EQ(page.error, XENSTORE_ERROR_RINGIDX);
	CHECK_EQ(page.rsp_prod, 0);                     /* nothing written */
	/* The connection's watches went with it. */
	CHECK_EQ(xs_watch(ring.conn, "/local/domain/5", "t"), 0);
}

TEST(ring_with_an_overlong_request_is_dead)
{
	struct xsd_sockmsg h = { .type = XS_WRITE, .req_id = 1, .len = XENSTORE_PAYLOAD_MAX + 1 };
	struct msg m;

	CALL(ring_setup(0));
	guest_put(&h, sizeof(h));
	guest_put("/x\0", 3);
	xs_ring_process(&ring);
	CHECK_EQ(page.error, XENSTORE_ERROR_PROTO);
	CHECK(!guest_recv(&m));
	GUEST_SEND(XS_GET_DOMAIN_PATH, 2, "1\0");       /* dead: ignored */
	xs_ring_process(&ring);
	CHECK(!guest_recv(&m));
	CHECK_EQ(xs_watch(ring.conn, "/", "t"), 0);     /* events for a dead ring go nowhere */
	CHECK_EQ(wr(d0, 0, "/x", "1"), 0);
	CHECK_EQ(ring.out_len, 0);
	CHECK_EQ(kicks, 0);
}

TEST(ring_ignores_guest_writes_to_the_servers_indices)
{
	struct msg m;

	CALL(ring_setup(0));
	GUEST_SEND(XS_GET_DOMAIN_PATH, 1, "1\0");
	page.req_cons = 0xdead0000u;                    /* the guest scribbles on our index */
	CHECK(xs_ring_process(&ring));
	CHECK(guest_recv(&m));
	CHECK_EQ(m.hdr.req_id, 1);
	CHECK_EQ(page.req_cons, page.req_prod);         /* and we put it back */
	CHECK_EQ(page.error, XENSTORE_ERROR_NONE);
}

TEST(ring_delivers_watch_events_from_other_writers_and_kicks)
{
	struct msg m;

	CALL(ring_setup(0));
	CHECK_EQ(xs_mkdir(d0, 0, "/local/domain/5"), 0);
	CHECK_EQ(set_perms(d0, "/local/domain/5", 0, GUEST, XS_PERM_READ), 0);
	GUEST_SEND(XS_WATCH, 1, "memory\0balloon\0");
	CHECK(xs_ring_process(&ring));
	CHECK(guest_recv(&m));
	CHECK_EQ(m.hdr.type, XS_WATCH);
	CHECK(guest_recv(&m));
	CHECK_EQ(m.hdr.type, XS_WATCH_EVENT);
	CHECK(!memcmp(m.body, "memory\0balloon\0", 15));
	CHECK_EQ(kicks, 0);
	CHECK_EQ(wr(d0, 0, "/local/domain/5/memory/target", "1024"), 0);
	CHECK_EQ(kicks, 1);                             /* written straight into the ring */
	CHECK(guest_recv(&m));
	CHECK_EQ(m.hdr.type, XS_WATCH_EVENT);
	CHECK(!memcmp(m.body, "memory/target\0balloon\0", 22));
}

TEST(ring_drops_watch_events_beyond_the_queue_limit)
{
	char path[64];

	CALL(ring_setup(0));
	CHECK_EQ(xs_mkdir(d0, 0, "/local/domain/5"), 0);
	CHECK_EQ(set_perms(d0, "/local/domain/5", 0, GUEST, XS_PERM_READ), 0);
	CHECK_EQ(xs_watch(ring.conn, "/local/domain/5", "a-long-token-to-fill-the-queue-quickly"), 0);
	for (int i = 0; i < 3000; i++) {               /* the guest never reads */
		snprintf(path, sizeof(path), "/local/domain/5/n%d", i % 50);
		CHECK_EQ(wr(d0, 0, path, "x"), 0);
	}
	CHECK(ring.out_len <= XS_RING_OUT_MAX);
	CHECK(ring.out_len > XS_RING_OUT_MAX - XS_RING_MSG_MAX);
	CHECK(ring.dropped_events > 0);
	CHECK_EQ(page.rsp_prod - page.rsp_cons, XENSTORE_RING_SIZE);
}

TEST(ring_queue_compaction_keeps_events_in_order)
{
	char path[64];
	struct msg m;
	int next = 0, expect = 0, gaps = 0;

	CALL(ring_setup(0));
	CHECK_EQ(xs_mkdir(d0, 0, "/local/domain/5"), 0);
	CHECK_EQ(set_perms(d0, "/local/domain/5", 0, GUEST, XS_PERM_READ), 0);
	CHECK_EQ(xs_watch(ring.conn, "/local/domain/5", "tok"), 0);
	for (int round = 0; round < 30; round++) {
		/* Events until the queue is full, then the guest reads some. */
		for (int i = 0; i < 1500; i++) {
			snprintf(path, sizeof(path), "/local/domain/5/s%d", next++);
			CHECK_EQ(wr(d0, 0, path, "x"), 0);
		}
		for (int i = 0; i < 200 && guest_recv(&m); i++) {
			int seq = atoi(m.body + strlen("/local/domain/5/s"));

			CHECK_EQ(m.hdr.type, XS_WATCH_EVENT);
			CHECK(!strncmp(m.body, "/local/domain/5/s", 17));
			CHECK_STR(m.body + strlen(m.body) + 1, "tok");
			CHECK(seq >= expect);                   /* in order; gaps are drops */
			gaps += seq != expect;
			expect = seq + 1;
			xs_ring_process(&ring);
		}
		CHECK(ring.out_len <= XS_RING_OUT_MAX);
	}
	CHECK(gaps > 0);
	CHECK(ring.dropped_events > 0);
	CHECK_EQ(xs_store_check(st), 0);
}

TEST(ring_reconnect_resets_everything)
{
	struct msg m;
	uint32_t tx;

	CALL(ring_setup(300));
	CHECK_EQ(xs_watch(ring.conn, "/w", "t"), 0);
	CHECK_EQ(xs_transaction_start(ring.conn, &tx), 0);
	page.req_prod = 0x7fffffff;                     /* a dead ring */
	xs_ring_process(&ring);
	CHECK_EQ(page.error, XENSTORE_ERROR_RINGIDX);
	page.connection = XENSTORE_RECONNECT;
	CHECK(xs_ring_process(&ring));
	CHECK_EQ(page.connection, XENSTORE_CONNECTED);
	CHECK_EQ(page.error, XENSTORE_ERROR_NONE);
	CHECK(page.req_cons == 0 && page.req_prod == 0 && page.rsp_cons == 0 && page.rsp_prod == 0);
	CHECK(!xs_transaction_exists(ring.conn, tx));
	CHECK_EQ(xs_unwatch(ring.conn, "/w", "t"), -ENOENT);
	GUEST_SEND(XS_GET_DOMAIN_PATH, 9, "2\0");
	CHECK(xs_ring_process(&ring));
	CHECK(guest_recv(&m));
	CHECK_EQ(m.hdr.req_id, 9);
}

TEST(ring_survives_random_guest_bytes)
{
	struct msg m;

	for (int round = 0; round < 200; round++) {
		CALL(ring_setup(rnd()));
		for (int i = 0; i < 20; i++) {
			uint32_t n = rnd() % 200;

			if (rnd() % 3 == 0) {
				struct xsd_sockmsg h = { rnd() % 25, rnd(), rnd() % 3, rnd() % 300 };

				guest_put(&h, sizeof(h));
			}
			for (uint32_t j = 0; j < n && page.req_prod - page.req_cons < XENSTORE_RING_SIZE; j++) {
				char b = (char)rnd();

				guest_put(&b, 1);
			}
			if (rnd() % 10 == 0)
				page.rsp_cons += rnd() % 2000;
			if (rnd() % 10 == 0)
				page.req_prod += rnd();
			xs_ring_process(&ring);
			CHECK(page.rsp_prod - ring.rsp_prod == 0);
			while (guest_recv(&m))
				CHECK(m.hdr.len <= XENSTORE_PAYLOAD_MAX);
		}
		CHECK_EQ(xs_store_check(st), 0);
	}
}

/* ------------------------------------------------------------------ */
/* What the toolstack writes                                           */
/* ------------------------------------------------------------------ */

static const struct xs_domain_info domu = {
	.domid = GUEST, .name = "guest-one",
	.uuid = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0, 1, 2, 3, 4, 5, 6, 7 },
	.max_memkb = 524288, .target_memkb = 524288, .max_vcpus = 2, .online_vcpus = 1,
	.store_mfn = 0x1234, .store_port = 1, .console_mfn = 0x1235, .console_port = 2,
	.kernel = "/boot/vmlinuz", .cmdline = "console=hvc0", .start_time_sec = 1700000000,
	.start_time_csec = 42,
};

TEST(populate_writes_the_libxl_domain_layout)
{
	static const char *const want[][2] = {
		{ "/local/domain/0/name", "Domain-0" },
		{ "/local/domain/0/domid", "0" },
		{ "/local/domain/5/name", "guest-one" },
		{ "/local/domain/5/domid", "5" },
		{ "/local/domain/5/vm", "/vm/01234567-89ab-cdef-0001-020304050607" },
		{ "/local/domain/5/memory/static-max", "524288" },
		{ "/local/domain/5/memory/target", "524288" },
		{ "/local/domain/5/memory/videoram", "0" },
		{ "/local/domain/5/cpu/0/availability", "online" },
		{ "/local/domain/5/cpu/1/availability", "offline" },
		{ "/local/domain/5/store/port", "1" },
		{ "/local/domain/5/store/ring-ref", "4660" },
		{ "/local/domain/5/console/port", "2" },
		{ "/local/domain/5/console/ring-ref", "4661" },
		{ "/local/domain/5/console/limit", "1048576" },
		{ "/local/domain/5/console/type", "xenconsoled" },
		{ "/local/domain/5/console/output", "pty" },
		{ "/local/domain/5/console/tty", "" },
		{ "/local/domain/5/console/backend", "/local/domain/0/backend/console/5/0" },
		{ "/local/domain/5/console/backend-id", "0" },
		{ "/local/domain/0/backend/console/5/0/frontend", "/local/domain/5/console" },
		{ "/local/domain/0/backend/console/5/0/frontend-id", "5" },
		{ "/local/domain/0/backend/console/5/0/state", "1" },
		{ "/local/domain/0/backend/console/5/0/protocol", "vt100" },
		{ "/local/domain/5/control/shutdown", "" },
		{ "/local/domain/5/control/platform-feature-xs_reset_watches", "1" },
		{ "/local/domain/5/control/platform-feature-multiprocessor-suspend", "1" },
		{ "/local/domain/5/device/suspend/event-channel", "" },
		{ "/vm/01234567-89ab-cdef-0001-020304050607/uuid", "01234567-89ab-cdef-0001-020304050607" },
		{ "/vm/01234567-89ab-cdef-0001-020304050607/name", "guest-one" },
		{ "/vm/01234567-89ab-cdef-0001-020304050607/image/ostype", "linux" },
		{ "/vm/01234567-89ab-cdef-0001-020304050607/image/kernel", "/boot/vmlinuz" },
		{ "/vm/01234567-89ab-cdef-0001-020304050607/image/cmdline", "console=hvc0" },
		{ "/vm/01234567-89ab-cdef-0001-020304050607/start_time", "1700000000.42" },
		{ "/libxl/5/type", "pv" },
	};

	setup();
	CHECK_EQ(xs_populate_dom0(st), 0);
	CHECK_EQ(xs_populate_domain(st, &domu), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int err;
		const char *v = rd(d0, 0, want[i][0], &err);

		if (!v)
			printf("  missing %s (%d)\n", want[i][0], err);
		CHECK_STR(v, want[i][1]);
	}
	CHECK_EQ(read_err(d0, 0, "/vm/01234567-89ab-cdef-0001-020304050607/image/ramdisk"), -ENOENT);
}

TEST(populate_gives_the_guest_libxls_permissions)
{
	struct xs_permissions p[4];
	unsigned int n;

	setup();
	CHECK_EQ(xs_populate_dom0(st), 0);
	CHECK_EQ(xs_populate_domain(st, &domu), 0);
	/* Readable, dom0's. */
	CHECK_STR(rd(gu, 0, "name", NULL), "guest-one");
	CHECK_STR(rd(gu, 0, "memory/target", NULL), "524288");
	CHECK_STR(rd(gu, 0, "console/ring-ref", NULL), "4661");
	CHECK_STR(rd(gu, 0, "/local/domain/0/backend/console/5/0/state", NULL), "1");
	CHECK_EQ(wr(gu, 0, "name", "x"), -EACCES);
	CHECK_EQ(wr(gu, 0, "memory/target", "1"), -EACCES);
	CHECK_EQ(wr(gu, 0, "newnode", "1"), -EACCES);
	CHECK_EQ(wr(gu, 0, "console/ring-ref", "1"), -EACCES);
	CHECK_EQ(xs_get_perms(d0, 0, "/local/domain/5", p, 4, &n), 0);
	CHECK(n == 2 && p[0].id == 0 && p[0].perms == XS_PERM_NONE && p[1].id == GUEST &&
	      p[1].perms == XS_PERM_READ);
	/* The guest's own. */
	CHECK_EQ(wr(gu, 0, "control/shutdown", ""), 0);
	CHECK_EQ(wr(gu, 0, "data/anything", "1"), 0);
	CHECK_EQ(wr(gu, 0, "device/suspend/event-channel", "7"), 0);
	CHECK_EQ(wr(gu, 0, "console/backend-id", "0"), 0);
	CHECK_EQ(xs_get_perms(d0, 0, "/local/domain/5/control/shutdown", p, 4, &n), 0);
	CHECK(n == 1 && p[0].id == GUEST && p[0].perms == XS_PERM_NONE);
	/* Not the guest's business. */
	CHECK_EQ(read_err(gu, 0, "/libxl/5/type"), -EACCES);
	CHECK_EQ(read_err(gu, 0, "/local/domain/0/name"), -EACCES);
	CHECK_STR(rd(gu, 0, "/vm/01234567-89ab-cdef-0001-020304050607/name", NULL), "guest-one");
	/* Linux's xenbus probes list the device directory. */
	{
		char buf[256];
		size_t len;

		CHECK_EQ(xs_directory(gu, 0, "device", buf, sizeof(buf), &len), 0);
		CHECK(len == 8 && !memcmp(buf, "suspend\0", 8));
	}
}

TEST(populate_again_replaces_the_domain)
{
	struct xs_domain_info d = domu;

	setup();
	CHECK_EQ(xs_populate_domain(st, &domu), 0);
	CHECK_EQ(wr(gu, 0, "data/left-over", "1"), 0);
	d.name = "renamed";
	CHECK_EQ(xs_populate_domain(st, &d), 0);
	CHECK_STR(rd(gu, 0, "name", NULL), "renamed");
	CHECK_EQ(read_err(gu, 0, "data/left-over"), -ENOENT);
	d.domid = 0;
	CHECK_EQ(xs_populate_domain(st, &d), -EINVAL);
	CHECK_EQ(xs_store_check(st), 0);
}

TEST(populate_device_writes_frontend_and_backend)
{
	static const char *const bk[] = { "frontend-id", "5", "online", "1", "state", "1",
					  "params", "/tmp/disk.img", NULL };
	static const char *const fk[] = { "backend-id", "0", "state", "1", "virtual-device", "51712",
					  "device-type", "disk", NULL };
	struct xs_permissions p[4];
	unsigned int n;

	setup();
	CHECK_EQ(xs_populate_domain(st, &domu), 0);
	CHECK_EQ(xs_populate_device(st, GUEST, "vbd", 51712, bk, fk), 0);
	CHECK_STR(rd(gu, 0, "device/vbd/51712/backend", NULL), "/local/domain/0/backend/vbd/5/51712");
	CHECK_STR(rd(gu, 0, "device/vbd/51712/virtual-device", NULL), "51712");
	CHECK_STR(rd(gu, 0, "/local/domain/0/backend/vbd/5/51712/params", NULL), "/tmp/disk.img");
	CHECK_STR(rd(gu, 0, "/local/domain/0/backend/vbd/5/51712/frontend", NULL),
		  "/local/domain/5/device/vbd/51712");
	CHECK_EQ(wr(gu, 0, "device/vbd/51712/state", "3"), 0);         /* the frontend's to drive */
	CHECK_EQ(wr(gu, 0, "/local/domain/0/backend/vbd/5/51712/state", "4"), -EACCES);
	CHECK_EQ(xs_get_perms(d0, 0, "/local/domain/5/device/vbd/51712", p, 4, &n), 0);
	CHECK(n == 2 && p[0].id == GUEST && p[1].id == 0 && p[1].perms == XS_PERM_READ);
	CHECK_STR(rd(d0, 0, "/libxl/5/device/vbd/51712/params", NULL), "/tmp/disk.img");
}

int main(void)
{
	RUN(new_store_has_xenstoreds_initial_nodes);
	RUN(write_then_read_returns_the_value);
	RUN(write_creates_missing_parents_with_empty_values);
	RUN(values_are_bytes_including_nuls);
	RUN(read_of_missing_node_is_enoent);
	RUN(mkdir_creates_and_leaves_existing_values_alone);
	RUN(rm_removes_the_whole_subtree);
	RUN(rm_of_missing_node_is_ok_only_if_its_parent_exists);
	RUN(rm_of_root_is_einval);
	RUN(directory_lists_children_in_creation_order);
	RUN(relative_paths_are_below_the_connections_home);
	RUN(invalid_paths_are_einval);
	RUN(paths_longer_than_the_limits_are_einval);
	RUN(directory_bigger_than_a_payload_is_e2big);

	RUN(directory_part_pages_through_a_long_child_list);
	RUN(directory_part_past_the_end_is_an_empty_list);
	RUN(directory_part_generation_changes_when_children_change);
	RUN(directory_part_over_the_wire);

	RUN(guest_cannot_read_or_write_dom0_nodes);
	RUN(missing_node_under_an_unreadable_parent_is_eacces_not_enoent);
	RUN(read_and_write_permissions_are_separate);
	RUN(default_permission_applies_to_unlisted_domains);
	RUN(guest_owns_what_it_creates_and_inherits_the_rest);
	RUN(dom0_created_nodes_keep_the_parents_owner);
	RUN(only_the_owner_or_dom0_sets_permissions);
	RUN(set_perms_rejects_bad_entries);
	RUN(get_and_set_perms_over_the_wire);
	RUN(special_watch_paths_need_permission_for_guests);

	RUN(watch_fires_once_at_once_after_the_ok);
	RUN(watch_fires_for_the_path_and_below_not_beside);
	RUN(watch_on_root_sees_everything);
	RUN(watches_fire_on_mkdir_rm_and_set_perms_but_not_on_noops);
	RUN(rm_fires_exact_events_for_watched_nodes_below);
	RUN(relative_watch_reports_relative_paths);
	RUN(unwatch_stops_events_and_unknown_watches_are_enoent);
	RUN(same_path_and_token_twice_is_eexist);
	RUN(watch_paths_are_checked);
	RUN(guest_hears_only_about_nodes_it_may_read);
	RUN(introduce_and_release_fire_special_watches_for_dom0);
	RUN(reset_watches_drops_watches_and_transactions);
	RUN(freed_connection_gets_no_more_events);

	RUN(transaction_sees_a_snapshot_and_its_own_writes);
	RUN(commit_applies_everything_at_once);
	RUN(abort_discards_the_transaction);
	RUN(commit_is_eagain_when_a_node_it_read_changed);
	RUN(commit_is_eagain_when_a_node_it_found_missing_appeared);
	RUN(commit_succeeds_when_only_unrelated_nodes_changed);
	RUN(second_of_two_interfering_transactions_gets_eagain);
	RUN(transaction_watch_events_fire_on_commit_only);
	RUN(transaction_ids_are_per_connection_and_checked);
	RUN(transaction_over_the_wire);
	RUN(guest_transaction_respects_permissions_and_ownership);
	RUN(commit_keeps_concurrent_changes_below_a_removed_nodes_siblings);
	RUN(set_perms_in_a_transaction_applies_on_commit);

	RUN(guest_node_quota_is_enospc);
	RUN(guest_node_quota_counts_transaction_nodes);
	RUN(guest_node_size_quota_is_enospc);
	RUN(guest_watch_quota_is_e2big);
	RUN(guest_transaction_quota_is_enospc);
	RUN(guest_transaction_node_quota_is_enospc);
	RUN(guest_permission_list_quota_is_enospc);
	RUN(guest_node_size_quota_counts_child_names_and_new_values);
	RUN(commit_is_enospc_when_the_node_quota_filled_meanwhile);
	RUN(over_long_watch_events_are_dropped);
	RUN(get_perms_too_long_for_one_reply_is_e2big);
	RUN(operations_are_atomic_when_memory_runs_out);
	RUN(watch_and_transaction_start_fail_cleanly_when_memory_runs_out);

	RUN(replies_echo_req_id_and_tx_id_and_errors_use_xsd_names);
	RUN(read_write_mkdir_rm_directory_over_the_wire);
	RUN(one_argument_messages_need_exactly_one_trailing_nul);
	RUN(unknown_and_reply_only_types_are_enosys);
	RUN(dom0_only_types_are_eacces_for_guests);
	RUN(payload_longer_than_the_maximum_is_a_protocol_error);
	RUN(domain_path_and_introduced_queries);
	RUN(random_messages_never_break_the_engine);

	RUN(ring_request_gets_its_reply);
	RUN(ring_indices_wrap_around_2_to_the_32);
	RUN(ring_keeps_partial_requests_across_calls);
	RUN(ring_handles_several_requests_in_one_call);
	RUN(ring_queues_replies_that_do_not_fit_until_the_guest_reads);
	RUN(ring_stops_reading_requests_while_replies_pile_up);
	RUN(ring_reply_larger_than_the_ring_arrives_in_pieces);
	RUN(ring_with_a_request_index_too_far_ahead_is_dead);
	RUN(ring_with_a_response_consumer_ahead_of_the_producer_is_dead);
	RUN(ring_with_an_overlong_request_is_dead);
	RUN(ring_ignores_guest_writes_to_the_servers_indices);
	RUN(ring_delivers_watch_events_from_other_writers_and_kicks);
	RUN(ring_drops_watch_events_beyond_the_queue_limit);
	RUN(ring_queue_compaction_keeps_events_in_order);
	RUN(ring_reconnect_resets_everything);
	RUN(ring_survives_random_guest_bytes);

	RUN(populate_writes_the_libxl_domain_layout);
	RUN(populate_gives_the_guest_libxls_permissions);
	RUN(populate_again_replaces_the_domain);
	RUN(populate_device_writes_frontend_and_backend);

	setup();
	xs_store_free(st);
	return check_done();
}
