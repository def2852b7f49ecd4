/* nicspec.c — xl vif specifications (see nicspec.h). */
#include "xenner/nicspec.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenner/util.h>


static int parse_mac(const char *v, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)v[0]) || !isxdigit((unsigned char)v[1]) ||
		    (i < 5 ? v[2] != ':' : v[2] != '\0'))
			return -1;
		char hex[3] = { v[0], v[1], 0 };
		mac[i] = (uint8_t)strtoul(hex, NULL, 16);
		v += 3;
	}
	return 0;
}

/* An interface name the kernel accepts (dev_valid_name): 1-15 bytes, no '/', ':' or space. */
static bool valid_ifname(const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n >= 16 || !strcmp(v, ".") || !strcmp(v, ".."))
		return false;
	for (; *v; v++)
		if (*v == '/' || *v == ':' || isspace((unsigned char)*v) || !isprint((unsigned char)*v))
			return false;
	return true;
}

static int set_string(char *dst, size_t cap, const char *key, const char *v, char *err, size_t errlen)
{
	if (strlen(v) >= cap)
		return fail_with(err, errlen, "%s: '%s' is too long (at most %zu bytes)", key, v, cap - 1);
	strcpy(dst, v);
	return 0;
}

static int item(struct nic_spec *n, char *key, char *v, char *err, size_t errlen)
{
	if (!strcmp(key, "mac")) {
		if (parse_mac(v, n->mac))
			return fail_with(err, errlen, "mac: '%s' is not six hex octets like 00:16:3e:12:34:56", v);
		if (n->mac[0] & 1)
			return fail_with(err, errlen, "mac: %s is a multicast address", v);
		n->mac_given = true;
		return 0;
	}
	if (!strcmp(key, "bridge") || !strcmp(key, "vifname") || !strcmp(key, "tap")) {
		if (!valid_ifname(v))
			return fail_with(err, errlen, "%s: '%s' is not a network interface name (1-15 bytes, no '/', ':' or spaces)", key, v);
		strcpy(!strcmp(key, "bridge") ? n->bridge : n->ifname, v);
		return 0;
	}
	if (!strcmp(key, "script"))
		return *v ? set_string(n->script, sizeof(n->script), key, v, err, errlen)
			  : fail_with(err, errlen, "script: empty");
	if (!strcmp(key, "ip"))
		return set_string(n->ip, sizeof(n->ip), key, v, err, errlen);
	if (!strcmp(key, "type"))
		return !strcmp(v, "vif") || !strcmp(v, "ioemu") ? 0
			: fail_with(err, errlen, "type: '%s' is not vif or ioemu", v);
	if (!strcmp(key, "model"))
		return 0;       /* the emulated NIC of an HVM guest: nothing for PV, as xl */
	if (!strcmp(key, "backend"))
		return !strcmp(v, "0") || !strcmp(v, "Domain-0") ? 0
			: fail_with(err, errlen, "backend: '%s': xenner itself is the only backend (0)", v);
	if (!strcmp(key, "mtu")) {
		char *end;
		unsigned long m = strtoul(v, &end, 10);
		if (!*v || *end || m < 68 || m > 65535)
			return fail_with(err, errlen, "mtu: '%s' is not a number from 68 to 65535", v);
		n->mtu = (unsigned)m;
		return 0;
	}
	if (!strcmp(key, "rate") || !strcmp(key, "gatewaydev") || !strcmp(key, "accel") ||
	    !strcmp(key, "forwarddev") || !strcmp(key, "devid") || !strcmp(key, "trusted") ||
	    !strcmp(key, "untrusted") || !strcmp(key, "vlan") || !strcmp(key, "ip_hotplug"))
		return fail_with(err, errlen, "%s: not supported by xenner", key);
	return fail_with(err, errlen, "unknown key '%s'", key);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int nic_spec_parse(const char *spec, struct nic_spec *n, char *err, size_t errlen)
{
	memset(n, 0, sizeof(*n));
	if (strlen(spec) > 8192)
		return fail_with(err, errlen, "too long");
	char *copy = strdup(spec), *save = NULL;
	if (!copy)
		return fail_with(err, errlen, "out of memory");
	int rc = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
		char *t = trim(tok);
		if (!*t)
			continue;
		char *eq = strchr(t, '=');
		if (!eq) {
			rc = fail_with(err, errlen, "'%s' is not KEY=VALUE", t);
			break;
		}
		*eq = '\0';
		rc = item(n, trim(t), trim(eq + 1), err, errlen);
	}
	free(copy);
	return rc;
}

void nic_default_mac(const char *seed, unsigned index, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ull;     /* FNV-1a */
	for (const char *p = seed ? seed : ""; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	h = (h ^ index) * 0x100000001b3ull;
	mac[0] = 0x00;
	mac[1] = 0x16;
	mac[2] = 0x3e;
	mac[3] = (uint8_t)(h >> 16) & 0x7f;     /* libxl keeps the top bit clear too */
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

void nic_format_mac(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}
