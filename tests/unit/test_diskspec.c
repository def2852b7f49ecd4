/* test_diskspec.c — xl disk specifications: the forms users copy from old configs, and bad ones. */
#define CHECK_SUITE "diskspec"
#include "check.h"
#include "xenner/diskspec.h"

static struct disk_spec d;
static char err[256];

TEST(vdev_numbers_follow_xen_vbd_interface)
{
	CHECK_EQ(disk_vdev_number("xvda"), 51712);
	CHECK_EQ(disk_vdev_number("xvdb"), 51728);
	CHECK_EQ(disk_vdev_number("xvda1"), 51713);
	CHECK_EQ(disk_vdev_number("xvdp15"), (202 << 8) | (15 << 4) | 15);
	CHECK_EQ(disk_vdev_number("xvdq"), (1 << 28) | (16 << 8));        /* extended scheme */
	CHECK_EQ(disk_vdev_number("xvdaa"), (1 << 28) | (26 << 8));
	CHECK_EQ(disk_vdev_number("hda"), 768);
	CHECK_EQ(disk_vdev_number("hdb"), 832);
	CHECK_EQ(disk_vdev_number("hdc"), 5632);
	CHECK_EQ(disk_vdev_number("sda"), 2048);
	CHECK_EQ(disk_vdev_number("sdb2"), 2066);
	CHECK_EQ(disk_vdev_number("xvd"), -1);
	CHECK_EQ(disk_vdev_number("xvda0"), -1);
	CHECK_EQ(disk_vdev_number("xvda16"), -1);
	CHECK_EQ(disk_vdev_number("hde"), -1);
	CHECK_EQ(disk_vdev_number("vda"), -1);
	CHECK_EQ(disk_vdev_number("xvdA"), -1);
}

TEST(legacy_positional_forms)
{
	CHECK_EQ(disk_spec_parse("file:/srv/guest.img,xvda,w", &d, err, sizeof(err)), 0);
	CHECK_STR(d.target, "/srv/guest.img");
	CHECK_STR(d.vdev, "xvda");
	CHECK_EQ(d.devid, 51712);
	CHECK(!d.readonly);
	CHECK_EQ(disk_spec_parse("phy:/dev/vg0/guest,hda,r", &d, err, sizeof(err)), 0);
	CHECK_STR(d.target, "/dev/vg0/guest");
	CHECK(d.readonly);
	CHECK_EQ(disk_spec_parse("tap:aio:/var/lib/xen/images/c5.img,xvda,w", &d, err, sizeof(err)), 0);
	CHECK_STR(d.target, "/var/lib/xen/images/c5.img");
	CHECK_EQ(disk_spec_parse("/iso/centos.iso,hdc:cdrom,r", &d, err, sizeof(err)), 0);
	CHECK(d.cdrom && d.readonly);
	CHECK_STR(d.vdev, "hdc");
	CHECK_EQ(disk_spec_parse("/img,raw,xvdb,rw", &d, err, sizeof(err)), 0);
	CHECK_STR(d.vdev, "xvdb");
}

TEST(keyword_forms)
{
	CHECK_EQ(disk_spec_parse("format=raw, vdev=xvdb, access=ro, target=/path/a,b.img", &d, err,
				 sizeof(err)), 0);
	CHECK_STR(d.target, "/path/a,b.img");         /* target= takes the rest, commas too */
	CHECK_STR(d.vdev, "xvdb");
	CHECK(d.readonly);
	CHECK_EQ(disk_spec_parse("vdev=xvdc,devtype=cdrom,target=/x.iso", &d, err, sizeof(err)), 0);
	CHECK(d.cdrom && d.readonly);
}

TEST(bad_specs_say_why)
{
	CHECK_EQ(disk_spec_parse("/img,xvda,rx", &d, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "'rx' is not an access mode, format or vdev");
	CHECK_EQ(disk_spec_parse("/img,xvda,w,extra", &d, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "target is already '/img'");
	CHECK_EQ(disk_spec_parse("/img,qcow2,xvda", &d, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "format 'qcow2' is not supported");
	CHECK_EQ(disk_spec_parse("/img", &d, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "no vdev");
	CHECK_EQ(disk_spec_parse("xvda,w", &d, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "no target");
	CHECK_EQ(disk_spec_parse("vdev=vda,target=/img", &d, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "vdev 'vda'");
	CHECK_EQ(disk_spec_parse("access=x,vdev=xvda,target=/img", &d, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "access 'x'");
	CHECK_EQ(disk_spec_parse("colour=blue,vdev=xvda,target=/img", &d, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "unknown key 'colour'");
	CHECK_EQ(disk_spec_parse("script=block-iscsi,vdev=xvda,target=/img", &d, err, sizeof(err)),
		 -1);
	CHECK_CONTAINS(err, "script=");
	CHECK_EQ(disk_spec_parse("vdev=xvda,target=", &d, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "empty target");
}

int main(void)
{
	RUN(vdev_numbers_follow_xen_vbd_interface);
	RUN(legacy_positional_forms);
	RUN(keyword_forms);
	RUN(bad_specs_say_why);
	return check_done();
}
