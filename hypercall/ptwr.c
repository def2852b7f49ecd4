/* ptwr.c — writable page tables: emulate a guest kernel's direct write to one of its L1s. */
#include "stub.h"
#include "mmu.h"

/*
 * With VMASST_TYPE_writable_pagetables, a guest kernel may write its L1
 * page tables as if they were writable; the page is mapped read-only, the
 * write faults and the stub validates and performs it (Xen's
 * ro-page-fault.c). Only the stores compilers and kernels use for PTEs are
 * decoded: mov r/imm to memory, xchg, (lock) cmpxchg and cmpxchg8b. A
 * 4-byte store to a PAE entry is merged with the other half. Anything else,
 * or an entry the MMU refuses, is the guest's #PF as on Xen.
 */

struct insn {
	unsigned len, width;            /* bytes; operand size 4 or 8 */
	enum { OP_MOV_REG, OP_MOV_IMM, OP_XCHG, OP_CMPXCHG, OP_CMPXCHG8B,
	       OP_AND_IMM, OP_OR_IMM, OP_BTS_IMM, OP_BTR_IMM } op;
	unsigned reg;                   /* source register number (0-15) */
	uint64_t imm;
};

/* Decode a store at ip; false if it is not one we emulate. */
static bool decode(const uint8_t *b, size_t max, struct insn *in)
{
	size_t i = 0;
	unsigned rex = 0;
	bool opsize16 = false;
	for (; i < max; i++) {
		if (b[i] == 0xf0 || b[i] == 0x3e || b[i] == 0x2e || b[i] == 0x26 || b[i] == 0x36)
			continue;               /* lock, segment overrides: harmless here */
		if (b[i] == 0x66) {
			opsize16 = true;
			continue;
		}
		break;
	}
#if STUB_BITS == 64
	if (i < max && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
#endif
	if (opsize16 || i + 2 > max)
		return false;
	in->width = (rex & 8) ? 8 : 4;
	unsigned imm_size = 0;
	uint8_t op = b[i++];
	if (op == 0x0f) {
		op = b[i++];
		if (op == 0xb1)
			in->op = OP_CMPXCHG;
		else if (op == 0xc7)
			in->op = OP_CMPXCHG8B;
		else if (op == 0xba) {
			in->op = OP_BTS_IMM;    /* reg field picks bts (5) or btr (6) below */
			imm_size = 1;
		} else
			return false;
	} else if (op == 0x80 || op == 0x81 || op == 0x83) {
		/* and/or with an immediate: clear_bit/set_bit on a PTE (Linux's ptep_*). */
		in->op = OP_AND_IMM;
		if (op == 0x80)
			in->width = 1;
		imm_size = op == 0x81 ? 4 : 1;
	} else if (op == 0x89) {
		in->op = OP_MOV_REG;
	} else if (op == 0xc7) {
		in->op = OP_MOV_IMM;
	} else if (op == 0x87) {
		in->op = OP_XCHG;
	} else {
		return false;
	}
	if (i >= max)
		return false;
	uint8_t modrm = b[i++];
	unsigned mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
	if (mod == 3)
		return false;                   /* register destination: not a store */
	if (in->op == OP_CMPXCHG8B) {
		if (reg != 1 || (rex & 8))
			return false;           /* cmpxchg16b is not a PTE store */
		in->width = 8;
	}
	if (in->op == OP_MOV_IMM && reg != 0)
		return false;
	if (in->op == OP_AND_IMM) {
		if (reg == 1)
			in->op = OP_OR_IMM;
		else if (reg != 4)
			return false;
	}
	if (in->op == OP_BTS_IMM) {
		if (reg == 6)
			in->op = OP_BTR_IMM;
		else if (reg != 5)
			return false;
	}
	in->reg = reg | ((rex & 4) ? 8 : 0);
	if (rm == 4) {                          /* SIB */
		if (i >= max)
			return false;
		uint8_t sib = b[i++];
		if (mod == 0 && (sib & 7) == 5)
			i += 4;
	} else if (mod == 0 && rm == 5) {
		i += 4;                         /* disp32 (rip-relative on 64-bit) */
	}
	if (mod == 1)
		i += 1;
	else if (mod == 2)
		i += 4;
	if (imm_size) {
		if (i + imm_size > max)
			return false;
		if (imm_size == 1)
			in->imm = (uint64_t)(int64_t)(int8_t)b[i];
		else
			in->imm = (uint64_t)(int64_t)(int32_t)(b[i] | b[i + 1] << 8 | b[i + 2] << 16 |
							       (uint32_t)b[i + 3] << 24);
		i += imm_size;
	} else if (in->op == OP_MOV_IMM) {
		if (i + 4 > max)
			return false;
		int32_t imm = (int32_t)(b[i] | b[i + 1] << 8 | b[i + 2] << 16 | (uint32_t)b[i + 3] << 24);
		in->imm = (uint64_t)(int64_t)imm;
		i += 4;
	}
	if (i > max)
		return false;
	in->len = (unsigned)i;
	return true;
}

static ulong *gpr(struct regs *r, unsigned n)
{
#if STUB_BITS == 64
	ulong *map[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->sp, &r->rbp, &r->rsi,
			   &r->rdi, &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13,
			   &r->r14, &r->r15 };
#else
	/* uint32_t and ulong are the same width here. */
	ulong *map[16] = { (ulong *)&r->eax, (ulong *)&r->ecx, (ulong *)&r->edx,
			   (ulong *)&r->ebx, (ulong *)&r->sp, (ulong *)&r->ebp,
			   (ulong *)&r->esi, (ulong *)&r->edi };
#endif
	return n < 16 ? map[n] : NULL;
}

/*
 * and/or/bts/btr with an immediate on part of an entry: a read-modify-write
 * of the whole entry, validated like any other update. Retried if the CPU
 * sets accessed/dirty bits in between. Flags: ZF for and/or, CF for bt*.
 */
static bool emulate_rmw(struct regs *r, const struct insn *in, uint64_t l1_mfn, unsigned idx,
			ulong cr2)
{
	unsigned shift = (unsigned)(cr2 & 7) * 8, bits = in->width * 8;
	uint64_t mask = bits == 64 ? ~0ull : ((1ull << bits) - 1);
	for (int tries = 0; tries < 4; tries++) {
		uint64_t *t = map_mfn(l1_mfn);
		uint64_t cur = t[idx];
		unmap_mfn(t);
		uint64_t part = (cur >> shift) & mask, res;
		bool cf = false;
		switch (in->op) {
		case OP_AND_IMM:
			res = part & (in->imm & mask);
			break;
		case OP_OR_IMM:
			res = part | (in->imm & mask);
			break;
		default: {
			unsigned bit = (unsigned)(in->imm % bits);
			cf = (part >> bit) & 1;
			res = in->op == OP_BTS_IMM ? part | (1ull << bit) : part & ~(1ull << bit);
		}
		}
		uint64_t val = (cur & ~(mask << shift)) | (res << shift);
		uint64_t old = cur;
		mmu_lock();
		int rc = mmu_ptwr_update(l1_mfn, idx, &old, val, true);
		mmu_unlock();
		if (rc < 0)
			return false;
		if (rc == 1)
			continue;               /* the entry changed under us: again */
		if (in->op == OP_AND_IMM || in->op == OP_OR_IMM) {
			r->flags &= ~0x8c5ul;   /* OF SF ZF PF CF */
			if (!res)
				r->flags |= 0x40ul;
		} else {
			r->flags = (r->flags & ~1ul) | (cf ? 1ul : 0);
		}
		r->ip += in->len;
		flush_tlb_local();
		return true;
	}
	return false;
}

bool emulate_ptwr(struct regs *r, ulong cr2);
bool emulate_ptwr(struct regs *r, ulong cr2)
{
	if (!(dom.vm_assist & (1ul << VMASST_TYPE_writable_pagetables)))
		return false;
	uint8_t bytes[16];
	size_t got = sizeof(bytes);
	while (got && copy_from_guest(bytes, r->ip, got))
		got--;                          /* the instruction may end at a page edge */
	struct insn in = { 0 };
	if (!got || !decode(bytes, got, &in))
		return false;
	if (cr2 & (in.width - 1))
		return false;
	uint64_t l1_mfn;
	if (mmu_translate(cr2, &l1_mfn))
		return false;
	unsigned idx = (unsigned)((cr2 & (PAGE_SIZE - 1)) >> 3);
	if (in.op >= OP_AND_IMM)
		return emulate_rmw(r, &in, l1_mfn, idx, cr2);
	bool high_half = in.width == 4 && (cr2 & 4);

	uint64_t src;
	switch (in.op) {
	case OP_MOV_IMM:
		src = in.imm;
		break;
	case OP_CMPXCHG8B:
#if STUB_BITS == 32
		src = (uint64_t)r->ecx << 32 | r->ebx;
#else
		src = (uint64_t)(uint32_t)r->rcx << 32 | (uint32_t)r->rbx;
#endif
		break;
	default: {
		ulong *p = gpr(r, in.reg);
		if (!p)
			return false;
		src = *p;
	}
	}
	if (in.width == 4)
		src &= 0xffffffffu;

	/* The whole new entry, and what a cmpxchg expects the old one to be. */
	uint64_t expect = 0;
	bool is_cmpxchg = in.op == OP_CMPXCHG || in.op == OP_CMPXCHG8B;
	if (in.op == OP_CMPXCHG8B)
#if STUB_BITS == 32
		expect = (uint64_t)r->edx << 32 | r->eax;
#else
		expect = (uint64_t)(uint32_t)r->rdx << 32 | (uint32_t)r->rax;
#endif
	else if (in.op == OP_CMPXCHG)
		expect = *gpr(r, 0) & (in.width == 4 ? 0xffffffffu : ~0ull);

	mmu_lock();
	uint64_t old = 0;
	uint64_t val = src;
	int rc;
	if (in.width == 4) {
		/* Merge with the half we are not writing; cmpxchg compares our half. */
		uint64_t *t = map_mfn(l1_mfn);
		uint64_t cur = t[idx];
		unmap_mfn(t);
		val = high_half ? (cur & 0xffffffffu) | src << 32 : (cur & ~0xffffffffull) | src;
		if (is_cmpxchg)
			expect = high_half ? (cur & 0xffffffffu) | expect << 32
					   : (cur & ~0xffffffffull) | expect;
	}
	old = expect;
	rc = mmu_ptwr_update(l1_mfn, idx, &old, val, is_cmpxchg);
	mmu_unlock();
	if (rc < 0)
		return false;                   /* refused: the guest gets its #PF */

	uint64_t old_part = in.width == 4 ? (high_half ? old >> 32 : old & 0xffffffffu) : old;
	switch (in.op) {
	case OP_XCHG:
		*gpr(r, in.reg) = (ulong)old_part;
		break;
	case OP_CMPXCHG:
		if (rc == 1) {
			*gpr(r, 0) = (ulong)old_part;
			r->flags &= ~0x40ul;    /* ZF clear: mismatch */
		} else {
			r->flags |= 0x40ul;
		}
		break;
	case OP_CMPXCHG8B:
		if (rc == 1) {
#if STUB_BITS == 32
			r->eax = (uint32_t)old;
			r->edx = (uint32_t)(old >> 32);
#else
			r->rax = (uint32_t)old;
			r->rdx = (uint32_t)(old >> 32);
#endif
			r->flags &= ~0x40ul;
		} else {
			r->flags |= 0x40ul;
		}
		break;
	default:
		break;
	}
	r->ip += in.len;
	flush_tlb_local();
	return true;
}
