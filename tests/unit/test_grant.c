/* test_grant.c — dom0's grant mappings: Xen's checks, the busy flags, frame references, hostile entries. */
#define CHECK_SUITE "grant"
#include "check.h"

#include <stdlib.h>

#include "backends/grant.h"

/*
 * A small machine: frames 0-15 are guest RAM, 16-19 the stub region (frame
 * 16 holds the grant table), 20+ is nothing.
 */
#define RAM_FRAMES 16
#define STUB_FIRST 16
#define STUB_FRAMES 4
#define MAX_MFN (STUB_FIRST + STUB_FRAMES)

static uint8_t ram[RAM_FRAMES][4096] __attribute__((aligned(4096)));
static uint8_t stub[STUB_FRAMES][4096] __attribute__((aligned(4096)));
static struct host_page hp;
static struct frame_info frames[MAX_MFN];
static struct gnt_host g;
static grant_entry_v1_t *table = (grant_entry_v1_t *)(void *)stub[0];

static void *ram_ptr(void *opaque, uint64_t mfn)
{
	return mfn < RAM_FRAMES ? ram[mfn] : NULL;
}

/* A guest with its first grant frame published, every RAM frame its own. */
static void setup(void)
{
	gnt_host_destroy(&g);
	memset(&hp, 0, sizeof(hp));
	memset(stub, 0, sizeof(stub));
	for (unsigned i = 0; i < MAX_MFN; i++)
		frames[i] = (struct frame_info){ i < RAM_FRAMES ? FRAME_GUEST : 0, 0 };
	g = (struct gnt_host){
		.hp = &hp, .frames = frames, .max_mfn = MAX_MFN, .mfn_to_host = ram_ptr,
		.stub = stub[0], .stub_mfn = STUB_FIRST, .stub_frames = STUB_FRAMES,
	};
	CHECK_EQ(gnt_host_init(&g), 0);
	hp.gnttab_mfn[0] = STUB_FIRST;
	hp.gnttab_nr_frames = 1;
}

static void grant(grant_ref_t ref, uint16_t domid, uint32_t frame, uint16_t flags)
{
	table[ref].domid = domid;
	table[ref].frame = frame;
	table[ref].flags = flags;
}

TEST(no_table_yet_is_bad_gntref)
{
	setup();
	hp.gnttab_nr_frames = 0;
	void *p;
	CHECK_EQ(gnt_map(&g, 0, false, &p), (int16_t)GNTST_bad_gntref);
	CHECK_EQ(gnt_nr_entries(&g), 0);
}

TEST(ref_beyond_the_table_is_bad_gntref)
{
	setup();
	void *p;
	CHECK_EQ(gnt_nr_entries(&g), 512);
	CHECK_EQ(gnt_map(&g, 512, false, &p), (int16_t)GNTST_bad_gntref);
	CHECK_EQ(gnt_map(&g, 0xffffffffu, true, &p), (int16_t)GNTST_bad_gntref);
	/* A frame list the stub never filled in beyond nr_frames is never read. */
	hp.gnttab_nr_frames = 1000;
	CHECK_EQ(gnt_map(&g, 600, false, &p), (int16_t)GNTST_bad_gntref);
}

TEST(read_mapping_sets_reading_and_takes_a_reference)
{
	setup();
	grant(10, 0, 3, GTF_permit_access | GTF_readonly);
	ram[3][5] = 0x5a;
	void *p = NULL;
	CHECK_EQ(gnt_map(&g, 10, false, &p), GNTST_okay);
	CHECK(p == ram[3]);
	CHECK_EQ(((uint8_t *)p)[5], 0x5a);
	CHECK_EQ(table[10].flags, GTF_permit_access | GTF_readonly | GTF_reading);
	CHECK_EQ(frames[3].count & FRAME_COUNT_MASK, 1);
	CHECK_EQ(frames[3].type, 0);
	gnt_unmap(&g, 10, false);
	CHECK_EQ(table[10].flags, GTF_permit_access | GTF_readonly);
	CHECK_EQ(frames[3].count, FRAME_GUEST);
}

TEST(write_mapping_needs_a_writable_grant_and_takes_a_writable_type)
{
	setup();
	void *p;
	grant(1, 0, 4, GTF_permit_access | GTF_readonly);
	CHECK_EQ(gnt_map(&g, 1, true, &p), (int16_t)GNTST_general_error);
	CHECK_EQ(table[1].flags, GTF_permit_access | GTF_readonly);     /* untouched */
	grant(2, 0, 4, GTF_permit_access);
	uint32_t gen = hp.tlb_stale_gen;
	CHECK_EQ(gnt_map(&g, 2, true, &p), GNTST_okay);
	CHECK_EQ(table[2].flags, GTF_permit_access | GTF_reading | GTF_writing);
	CHECK_EQ(frames[4].type >> FRAME_TYPE_SHIFT, FRAME_TYPE_WRITABLE);
	CHECK_EQ(frames[4].type & FRAME_TYPE_COUNT_MASK, 1);
	gnt_unmap(&g, 2, true);
	CHECK_EQ(table[2].flags, GTF_permit_access);
	CHECK_EQ(frames[4].type, 0);
	CHECK_EQ(frames[4].count, FRAME_GUEST);
	CHECK_EQ(hp.tlb_stale_gen, gen + 1);    /* the last writable reference went away */
}

TEST(entries_not_for_dom0_are_refused)
{
	setup();
	void *p;
	grant(1, 1, 4, GTF_permit_access);                      /* for another domain */
	grant(2, 0, 4, GTF_invalid);
	grant(3, 0, 4, GTF_accept_transfer);
	grant(4, 0, 4, GTF_transitive);
	grant(5, 0, 4, GTF_permit_access | GTF_sub_page);       /* v2 only */
	for (grant_ref_t r = 1; r <= 5; r++) {
		CHECK_EQ(gnt_map(&g, r, false, &p), (int16_t)GNTST_general_error);
		CHECK_EQ(table[r].flags & (GTF_reading | GTF_writing), 0);
	}
	CHECK_EQ(frames[4].count, FRAME_GUEST);
	CHECK_EQ(g.errors, 5);
}

TEST(frames_the_guest_may_not_grant_are_bad_page)
{
	setup();
	void *p;
	frames[6].count = FRAME_GUEST | FRAME_FREE;             /* ballooned out */
	frames[7].count = FRAME_GUEST | FRAME_XEN_SHARED | 1;   /* shared_info */
	grant(1, 0, 6, GTF_permit_access);
	grant(2, 0, 7, GTF_permit_access);
	grant(3, 0, STUB_FIRST, GTF_permit_access);             /* the grant table itself */
	grant(4, 0, MAX_MFN + 100, GTF_permit_access);          /* no such frame */
	grant(5, 0, 0xffffffffu, GTF_permit_access);
	for (grant_ref_t r = 1; r <= 5; r++) {
		CHECK_EQ(gnt_map(&g, r, false, &p), (int16_t)GNTST_bad_page);
		CHECK_EQ(gnt_map(&g, r, true, &p), (int16_t)GNTST_bad_page);
		/* Refused: the busy flags are cleared again. */
		CHECK_EQ(table[r].flags, GTF_permit_access);
	}
}

TEST(a_page_table_is_never_writable_through_a_grant)
{
	setup();
	void *p;
	frames[8].count = FRAME_GUEST | 1;
	frames[8].type = 1u << FRAME_TYPE_SHIFT | FRAME_TYPE_VALIDATED | 1;    /* an L1 */
	grant(1, 0, 8, GTF_permit_access);
	CHECK_EQ(gnt_map(&g, 1, true, &p), (int16_t)GNTST_general_error);
	CHECK_EQ(table[1].flags, GTF_permit_access);
	CHECK_EQ(frames[8].count, FRAME_GUEST | 1);
	/* Reading it is fine, as on Xen. */
	CHECK_EQ(gnt_map(&g, 1, false, &p), GNTST_okay);
	CHECK_EQ(frames[8].count, FRAME_GUEST | 2);
	/* A reader holds no type: the first writer still cannot make it writable. */
	CHECK_EQ(gnt_map(&g, 1, true, &p), (int16_t)GNTST_general_error);
	CHECK_EQ(table[1].flags, GTF_permit_access | GTF_reading);
	gnt_unmap(&g, 1, false);
	CHECK_EQ(table[1].flags, GTF_permit_access);
	CHECK_EQ(frames[8].count, FRAME_GUEST | 1);
}

TEST(flags_stay_until_the_last_user_and_the_frame_is_the_first_one)
{
	setup();
	void *p, *q;
	grant(9, 0, 5, GTF_permit_access);
	CHECK_EQ(gnt_map(&g, 9, false, &p), GNTST_okay);
	CHECK_EQ(gnt_map(&g, 9, true, &q), GNTST_okay);
	/* The guest points the entry elsewhere while it is in use: we keep the first frame. */
	table[9].frame = 6;
	CHECK_EQ(gnt_map(&g, 9, true, &q), GNTST_okay);
	CHECK(p == ram[5] && q == ram[5]);
	CHECK_EQ(frames[5].type & FRAME_TYPE_COUNT_MASK, 1);
	CHECK_EQ(frames[5].count & FRAME_COUNT_MASK, 1);
	CHECK_EQ(frames[6].count, FRAME_GUEST);
	gnt_unmap(&g, 9, true);
	CHECK_EQ(table[9].flags, GTF_permit_access | GTF_reading | GTF_writing);
	gnt_unmap(&g, 9, true);
	CHECK_EQ(table[9].flags, GTF_permit_access | GTF_reading);
	CHECK_EQ(frames[5].type, 0);
	gnt_unmap(&g, 9, false);
	CHECK_EQ(table[9].flags, GTF_permit_access);
	CHECK_EQ(frames[5].count, FRAME_GUEST);
	/* An unmatched unmap changes nothing. */
	gnt_unmap(&g, 9, false);
	gnt_unmap(&g, 9, true);
	gnt_unmap(&g, 0xfffffff0u, true);
	CHECK_EQ(frames[5].count, FRAME_GUEST);
}

TEST(revoked_access_is_noticed_on_the_next_map)
{
	setup();
	void *p;
	grant(3, 0, 2, GTF_permit_access);
	CHECK_EQ(gnt_map(&g, 3, false, &p), GNTST_okay);
	/* The guest (wrongly) clears the entry while we read from it. */
	table[3].flags = 0;
	CHECK_EQ(gnt_map(&g, 3, false, &p), (int16_t)GNTST_general_error);
	gnt_unmap(&g, 3, false);
	CHECK_EQ(frames[2].count, FRAME_GUEST);
}

TEST(a_second_table_frame_and_writable_frame_shared_with_the_guest)
{
	setup();
	void *p;
	hp.gnttab_mfn[1] = STUB_FIRST + 1;
	hp.gnttab_nr_frames = 2;
	grant_entry_v1_t *t1 = (grant_entry_v1_t *)(void *)stub[1];
	t1[1].domid = 0;
	t1[1].frame = 11;
	t1[1].flags = GTF_permit_access;
	CHECK_EQ(gnt_map(&g, 513, true, &p), GNTST_okay);
	CHECK(p == ram[11]);
	gnt_unmap(&g, 513, true);
	/* A guest mapping's writable type already there: the grant adds to it. */
	frames[12].count = FRAME_GUEST | 1;
	frames[12].type = (uint32_t)FRAME_TYPE_WRITABLE << FRAME_TYPE_SHIFT | FRAME_TYPE_VALIDATED | 1;
	grant(4, 0, 12, GTF_permit_access);
	uint32_t gen = hp.tlb_stale_gen;
	CHECK_EQ(gnt_map(&g, 4, true, &p), GNTST_okay);
	CHECK_EQ(frames[12].type & FRAME_TYPE_COUNT_MASK, 2);
	gnt_unmap(&g, 4, true);
	CHECK_EQ(frames[12].type & FRAME_TYPE_COUNT_MASK, 1);
	CHECK_EQ(hp.tlb_stale_gen, gen);        /* the guest's mapping still holds it */
	/* A table frame outside the stub region (a corrupted host page) is never followed. */
	hp.gnttab_mfn[1] = 3;
	CHECK_EQ(gnt_map(&g, 513, false, &p), (int16_t)GNTST_general_error);
}

int main(void)
{
	RUN(no_table_yet_is_bad_gntref);
	RUN(ref_beyond_the_table_is_bad_gntref);
	RUN(read_mapping_sets_reading_and_takes_a_reference);
	RUN(write_mapping_needs_a_writable_grant_and_takes_a_writable_type);
	RUN(entries_not_for_dom0_are_refused);
	RUN(frames_the_guest_may_not_grant_are_bad_page);
	RUN(a_page_table_is_never_writable_through_a_grant);
	RUN(flags_stay_until_the_last_user_and_the_frame_is_the_first_one);
	RUN(revoked_access_is_noticed_on_the_next_map);
	RUN(a_second_table_frame_and_writable_frame_shared_with_the_guest);
	gnt_host_destroy(&g);
	return check_done();
}
