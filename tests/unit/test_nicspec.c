/* test_nicspec.c — xl vif specifications: what xl accepts, what it refuses, and the default MAC. */
#define CHECK_SUITE "nicspec"
#include "check.h"

#include "xenner/nicspec.h"

static struct nic_spec n;
static char err[256];

static int parse(const char *spec)
{
	err[0] = '\0';
	return nic_spec_parse(spec, &n, err, sizeof(err));
}

TEST(xl_examples)
{
	CHECK_EQ(parse("mac=00:16:3e:12:34:56,bridge=xenbr0"), 0);
	CHECK(n.mac_given);
	CHECK_EQ(n.mac[5], 0x56);
	CHECK_STR(n.bridge, "xenbr0");
	CHECK_EQ(parse(" mac=00:16:3E:AB:cd:01 , bridge = br0 , script=vif-bridge , type=vif "), 0);
	CHECK_EQ(n.mac[3], 0xab);
	CHECK_STR(n.script, "vif-bridge");
	CHECK_EQ(parse("vifname=tap7,ip=10.0.0.2 10.0.0.3,model=e1000,backend=0,mtu=9000"), 0);
	CHECK_STR(n.ifname, "tap7");
	CHECK_STR(n.ip, "10.0.0.2 10.0.0.3");
	CHECK_EQ(n.mtu, 9000);
	CHECK(!n.mac_given);
	CHECK_EQ(parse("tap=mytap"), 0);
	CHECK_STR(n.ifname, "mytap");
	CHECK_EQ(parse(""), 0);                 /* vif = [ '' ]: all defaults */
	CHECK_EQ(parse("type=ioemu,backend=Domain-0"), 0);
}

TEST(bad_specs_say_why)
{
	CHECK_EQ(parse("mac=00:16:3e:12:34"), -1);
	CHECK_CONTAINS(err, "mac");
	CHECK_EQ(parse("mac=00:16:3e:12:34:5g"), -1);
	CHECK_EQ(parse("mac=01:16:3e:12:34:56"), -1);
	CHECK_CONTAINS(err, "multicast");
	CHECK_EQ(parse("mac=00:16:3e:12:34:56:78"), -1);
	CHECK_EQ(parse("bridge=this-name-is-too-long"), -1);
	CHECK_CONTAINS(err, "interface name");
	CHECK_EQ(parse("vifname=a/b"), -1);
	CHECK_EQ(parse("vifname=a b"), -1);
	CHECK_EQ(parse("bridge"), -1);
	CHECK_CONTAINS(err, "KEY=VALUE");
	CHECK_EQ(parse("rate=10Mb/s"), -1);
	CHECK_CONTAINS(err, "not supported");
	CHECK_EQ(parse("backend=2"), -1);
	CHECK_CONTAINS(err, "only backend");
	CHECK_EQ(parse("type=tap"), -1);
	CHECK_EQ(parse("mtu=67"), -1);
	CHECK_EQ(parse("mtu=65536"), -1);
	CHECK_EQ(parse("mtu=1500x"), -1);
	CHECK_EQ(parse("script="), -1);
	CHECK_EQ(parse("colour=blue"), -1);
	CHECK_CONTAINS(err, "unknown key 'colour'");
}

TEST(default_mac_is_xens_prefix_and_stable)
{
	uint8_t a[6], b[6], c[6];
	nic_default_mac("/boot/vmlinuz", 0, a);
	nic_default_mac("/boot/vmlinuz", 0, b);
	nic_default_mac("/boot/vmlinuz", 1, c);
	CHECK(!memcmp(a, b, 6));
	CHECK(memcmp(a, c, 6));
	CHECK_EQ(a[0], 0x00);
	CHECK_EQ(a[1], 0x16);
	CHECK_EQ(a[2], 0x3e);
	CHECK_EQ(a[3] & 0x80, 0);
	char s[18];
	nic_format_mac(a, s);
	CHECK_EQ(strlen(s), 17);
	CHECK(!strncmp(s, "00:16:3e:", 9));
}

int main(void)
{
	RUN(xl_examples);
	RUN(bad_specs_say_why);
	RUN(default_mac_is_xens_prefix_and_stable);
	return check_done();
}
