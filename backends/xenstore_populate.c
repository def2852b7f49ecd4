/* xenstore_populate.c — the xenstore nodes a Xen toolstack (xen-init-dom0, libxl) writes for dom0 and a PV domU. */
#include "backends/xenstore.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <xen/xen.h>
#include <xen/io/xenbus.h>

/*
 * Written through a dom0 connection, so new nodes inherit their parent's
 * permissions unchanged (owner included) exactly as when libxl writes
 * them through xenstored; where libxl sets permissions explicitly
 * (libxl__xs_mknod, xs_set_permissions) so do we. References are to Xen
 * 4.17+ tools/libs/light and tools/helpers.
 *
 * For domU N with backend dom0, libxl's three permission sets are:
 *   ro    [n0, rN]  dom0 owns, the guest reads     (roperm, ro_frontend_perms, backend_perms)
 *   rw    [nN]      the guest owns                 (rwperm)
 *   fe    [nN, r0]  the guest owns, dom0 reads     (frontend_perms)
 *   none  [n0]      dom0 only                      (noperm)
 */

#define XENCONSOLE_LIMIT        "1048576"       /* libxl_internal.h LIBXL_XENCONSOLE_LIMIT */
#define XENCONSOLE_PROTOCOL     "vt100"         /* LIBXL_XENCONSOLE_PROTOCOL */

struct pop {
	struct xs_conn *c;
	int err;                /* first error; later steps are skipped */
	struct xs_permissions ro[2], rw[1], fe[2], none[1];
};

static int vpath(char *buf, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, XENSTORE_ABS_PATH_MAX + 1, fmt, ap);

	return n < 0 || n > XENSTORE_ABS_PATH_MAX ? -EINVAL : 0;
}

/* xs_write of a string value; the path is printf-formatted. */
static void __attribute__((format(printf, 3, 4))) p_write(struct pop *p, const char *val,
							  const char *fmt, ...)
{
	char path[XENSTORE_ABS_PATH_MAX + 1];
	va_list ap;

	if (p->err)
		return;
	va_start(ap, fmt);
	p->err = vpath(path, fmt, ap);
	va_end(ap);
	if (!p->err)
		p->err = xs_write(p->c, 0, path, val, strlen(val));
}

/* libxl__xs_mknod: mkdir, then set the permissions. perms NULL: mkdir only. */
static void __attribute__((format(printf, 4, 5))) p_mknod(struct pop *p, const struct xs_permissions *perms,
							  unsigned int n, const char *fmt, ...)
{
	char path[XENSTORE_ABS_PATH_MAX + 1];
	va_list ap;

	if (p->err)
		return;
	va_start(ap, fmt);
	p->err = vpath(path, fmt, ap);
	va_end(ap);
	if (!p->err)
		p->err = xs_mkdir(p->c, 0, path);
	if (!p->err && perms)
		p->err = xs_set_perms(p->c, 0, path, perms, n);
}

/* xs_rm that, like libxl's, does not mind a missing node. */
static void __attribute__((format(printf, 2, 3))) p_rm(struct pop *p, const char *fmt, ...)
{
	char path[XENSTORE_ABS_PATH_MAX + 1];
	va_list ap;
	int ret;

	if (p->err)
		return;
	va_start(ap, fmt);
	p->err = vpath(path, fmt, ap);
	va_end(ap);
	if (!p->err && (ret = xs_rm(p->c, 0, path)) != -ENOENT)
		p->err = ret;
}

/* libxl__xs_writev(_perms): key/value pairs below dir, each given perms if not NULL. */
static void p_writev(struct pop *p, const char *dir, const char *const *kv,
		     const struct xs_permissions *perms, unsigned int n)
{
	for (; kv && kv[0] && kv[1]; kv += 2) {
		p_write(p, kv[1], "%s/%s", dir, kv[0]);
		if (perms)
			p_mknod(p, perms, n, "%s/%s", dir, kv[0]);
	}
}

static void pop_begin(struct pop *p, struct xs_conn *c, unsigned int domid)
{
	memset(p, 0, sizeof(*p));
	p->c = c;
	p->ro[0] = (struct xs_permissions){ .id = 0, .perms = XS_PERM_NONE };
	p->ro[1] = (struct xs_permissions){ .id = domid, .perms = XS_PERM_READ };
	p->rw[0] = (struct xs_permissions){ .id = domid, .perms = XS_PERM_NONE };
	p->fe[0] = (struct xs_permissions){ .id = domid, .perms = XS_PERM_NONE };
	p->fe[1] = (struct xs_permissions){ .id = 0, .perms = XS_PERM_READ };
	p->none[0] = (struct xs_permissions){ .id = 0, .perms = XS_PERM_NONE };
}

/*
 * libxl__device_generic_add() (libxl_device.c) for backend dom0:
 *   /libxl/N/device/<kind>/<devid>/{frontend,backend} + the backend keys  none
 *   <fe>                    frontend dir; ro for console 0, else fe
 *   <fe>/backend            link to the backend dir
 *   <fe>/<fents>            fe        (e.g. backend-id, state)
 *   <fe>/<ro_fents>         ro        (console 0: limit, type, output, tty, port, ring-ref)
 *   <be> = /local/domain/0/backend/<kind>/N/<devid>                        ro
 *   <be>/frontend           link to the frontend dir
 *   <be>/<bents>            inherit ro (frontend-id, online, state, ...)
 */
static void p_device(struct pop *p, unsigned int domid, const char *kind, unsigned int devid,
		     const char *fe, bool fe_readonly, const char *const *bents,
		     const char *const *fents, const char *const *ro_fents)
{
	char be[128], lx[128];

	snprintf(be, sizeof(be), "/local/domain/0/backend/%s/%u/%u", kind, domid, devid);
	snprintf(lx, sizeof(lx), "/libxl/%u/device/%s/%u", domid, kind, devid);
	p_rm(p, "%s", lx);
	p_write(p, fe, "%s/frontend", lx);
	p_write(p, be, "%s/backend", lx);

	p_rm(p, "%s", fe);
	p_mknod(p, fe_readonly ? p->ro : p->fe, 2, "%s", fe);
	p_write(p, be, "%s/backend", fe);
	p_writev(p, fe, fents, p->fe, 2);
	p_writev(p, fe, ro_fents, p->ro, 2);

	p_rm(p, "%s", be);
	p_mknod(p, p->ro, 2, "%s", be);
	p_write(p, fe, "%s/frontend", be);
	p_writev(p, be, bents, NULL, 0);
	p_writev(p, lx, bents, NULL, 0);
}

static int run(struct xs_store *s, unsigned int domid,
	       void (*fn)(struct pop *p, const void *arg), const void *arg)
{
	struct xs_conn *c = xs_conn_new(s, 0, NULL, NULL);
	struct pop p;

	if (!c)
		return -ENOMEM;
	pop_begin(&p, c, domid);
	fn(&p, arg);
	xs_conn_free(c);
	return p.err;
}

/* tools/helpers/xen-init-dom0.c: DOMID_PATH and DOMNAME_PATH. */
static void dom0_nodes(struct pop *p, const void *arg)
{
	p_write(p, "0", "/local/domain/0/domid");
	p_write(p, "Domain-0", "/local/domain/0/name");
}

int xs_populate_dom0(struct xs_store *s)
{
	return run(s, 0, dom0_nodes, NULL);
}

static void domain_nodes(struct pop *p, const void *arg)
{
	const struct xs_domain_info *d = arg;
	const uint8_t *u = d->uuid;
	unsigned int id = d->domid;
	char dom[64], vm[64], uuid[40], num[32];

	snprintf(uuid, sizeof(uuid),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
		 u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	snprintf(dom, sizeof(dom), "/local/domain/%u", id);
	snprintf(vm, sizeof(vm), "/vm/%s", uuid);

	/* libxl__domain_make() (libxl_create.c), one transaction in libxl. */
	p_rm(p, "%s", dom);
	p_mknod(p, p->ro, 2, "%s", dom);                        /* the guest reads its home, dom0 owns it */
	p_rm(p, "%s", vm);
	p_mknod(p, p->ro, 2, "%s", vm);
	p_rm(p, "/libxl/%u", id);
	p_mknod(p, p->none, 1, "/libxl/%u", id);
	p_mknod(p, p->none, 1, "/libxl/%u/device", id);
	p_write(p, vm, "%s/vm", dom);
	p_write(p, d->name, "%s/name", dom);                   /* libxl__domain_rename() */
	p_mknod(p, p->ro, 2, "%s/cpu", dom);
	p_mknod(p, p->ro, 2, "%s/memory", dom);
	p_mknod(p, p->ro, 2, "%s/device", dom);
	p_mknod(p, p->rw, 1, "%s/device/suspend/event-channel", dom);
	p_mknod(p, p->ro, 2, "%s/control", dom);
	p_mknod(p, p->rw, 1, "%s/control/shutdown", dom);      /* the guest acks shutdown requests here */
	p_mknod(p, p->rw, 1, "%s/control/feature-poweroff", dom);
	p_mknod(p, p->rw, 1, "%s/control/feature-reboot", dom);
	p_mknod(p, p->rw, 1, "%s/control/feature-suspend", dom);
	p_mknod(p, p->rw, 1, "%s/control/sysrq", dom);
	p_mknod(p, p->rw, 1, "%s/data", dom);
	p_mknod(p, p->rw, 1, "%s/drivers", dom);
	p_mknod(p, p->rw, 1, "%s/feature", dom);
	p_mknod(p, p->rw, 1, "%s/attr", dom);
	p_mknod(p, p->rw, 1, "%s/error", dom);
	p_write(p, uuid, "%s/uuid", vm);
	p_write(p, d->name, "%s/name", vm);
	p_write(p, "1", "%s/control/platform-feature-multiprocessor-suspend", dom);
	p_write(p, "1", "%s/control/platform-feature-xs_reset_watches", dom);  /* Linux sends RESET_WATCHES */
	p_write(p, "pv", "/libxl/%u/type", id);

	/* libxl__build_post() (libxl_dom.c); PV has no video memory and no target fudge. */
	snprintf(num, sizeof(num), "%" PRIu64, d->max_memkb);
	p_write(p, num, "%s/memory/static-max", dom);
	snprintf(num, sizeof(num), "%" PRIu64, d->target_memkb);
	p_write(p, num, "%s/memory/target", dom);              /* the balloon driver's target */
	p_write(p, "0", "%s/memory/videoram", dom);
	snprintf(num, sizeof(num), "%u", id);
	p_write(p, num, "%s/domid", dom);
	snprintf(num, sizeof(num), "%u", d->store_port);
	p_write(p, num, "%s/store/port", dom);
	snprintf(num, sizeof(num), "%" PRIu64, d->store_mfn);
	p_write(p, num, "%s/store/ring-ref", dom);
	for (unsigned int i = 0; i < d->max_vcpus; i++)
		p_write(p, i < d->online_vcpus ? "online" : "offline", "%s/cpu/%u/availability", dom, i);

	/* libxl__domain_build() (libxl_create.c), the PV case: vm entries. */
	p_write(p, "linux", "%s/image/ostype", vm);
	if (d->kernel)
		p_write(p, d->kernel, "%s/image/kernel", vm);
	snprintf(num, sizeof(num), "%" PRIu64 ".%02u", d->start_time_sec, d->start_time_csec % 100);
	p_write(p, num, "%s/start_time", vm);
	if (d->ramdisk)
		p_write(p, d->ramdisk, "%s/image/ramdisk", vm);
	if (d->cmdline)
		p_write(p, d->cmdline, "%s/image/cmdline", vm);

	/*
	 * libxl__device_console_add() (libxl_console.c): console 0 served by
	 * xenconsoled in dom0, its frontend dir is the domain's "console".
	 */
	{
		char fe[80], idstr[16], port[16], mfn[32], state[4];
		const char *bents[] = { "frontend-id", idstr, "online", "1", "state", state,
					"protocol", XENCONSOLE_PROTOCOL, NULL };
		const char *fents[] = { "backend-id", "0", NULL };
		const char *ro_fents[] = { "limit", XENCONSOLE_LIMIT, "type", "xenconsoled",
					   "output", "pty", "tty", "", "port", port,
					   "ring-ref", mfn, NULL };

		snprintf(fe, sizeof(fe), "%s/console", dom);
		snprintf(idstr, sizeof(idstr), "%u", id);
		snprintf(state, sizeof(state), "%d", XenbusStateInitialising);
		snprintf(port, sizeof(port), "%u", d->console_port);
		snprintf(mfn, sizeof(mfn), "%" PRIu64, d->console_mfn);
		p_device(p, id, "console", 0, fe, true, bents, fents, ro_fents);
	}
}

int xs_populate_domain(struct xs_store *s, const struct xs_domain_info *d)
{
	if (!d->domid || d->domid >= DOMID_FIRST_RESERVED || !d->name || !*d->name)
		return -EINVAL;
	return run(s, d->domid, domain_nodes, d);
}

struct device_args {
	unsigned int domid, devid;
	const char *kind;
	const char *const *bents, *const *fents;
};

static void device_nodes(struct pop *p, const void *arg)
{
	const struct device_args *a = arg;
	char fe[128];

	snprintf(fe, sizeof(fe), "/local/domain/%u/device/%s/%u", a->domid, a->kind, a->devid);
	p_device(p, a->domid, a->kind, a->devid, fe, false, a->bents, a->fents, NULL);
}

int xs_populate_device(struct xs_store *s, unsigned int domid, const char *kind, unsigned int devid,
		       const char *const *backend_kv, const char *const *frontend_kv)
{
	struct device_args a = { domid, devid, kind, backend_kv, frontend_kv };

	if (!domid || domid >= DOMID_FIRST_RESERVED || !kind || !*kind || strlen(kind) > 32)
		return -EINVAL;
	return run(s, domid, device_nodes, &a);
}
