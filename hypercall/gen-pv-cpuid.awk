# gen-pv-cpuid.awk — derive the PV guest CPUID feature masks from Xen's cpufeatureset.h.
#
# Each feature line carries Xen's annotation: 'A' means "available to all
# guests by default", the only ones a PV guest gets. Section comments say
# which CPUID leaf/subleaf/register a featureset word is. Output: a C table
# of (leaf, subleaf, register, mask) for the stub's CPUID emulation.
/CPUID level 0x[0-9A-Fa-f]+(:[0-9]+)?\.e[abcd]x, word [0-9]+/ {
	match($0, /0x[0-9A-Fa-f]+(:[0-9]+)?\.e[abcd]x/)
	spec = substr($0, RSTART, RLENGTH)
	match($0, /word [0-9]+/)
	w = substr($0, RSTART + 5, RLENGTH - 5) + 0
	split(spec, a, ".")
	leafsub = a[1]; reg = a[2]
	if (index(leafsub, ":")) {
		split(leafsub, b, ":"); leaf[w] = b[1]; sub_[w] = b[2]
	} else {
		leaf[w] = leafsub; sub_[w] = "0xffffffff"
	}
	regno[w] = (reg == "eax") ? 0 : (reg == "ebx") ? 1 : (reg == "ecx") ? 2 : 3
	mask[w] = 0
	words[w] = 1
	next
}
/^XEN_CPUFEATURE\(/ {
	match($0, /[0-9]+\*32\+ *[0-9]+/)
	v = substr($0, RSTART, RLENGTH); gsub(/ /, "", v)
	split(v, p, /\*32\+/)
	w = p[1] + 0; bit = p[2] + 0
	if (!(w in words))
		next
	c = index($0, "/*")
	ann = substr($0, c + 2, 3)
	if (ann ~ /A/)
		mask[w] = mask[w] + 2 ^ bit
}
END {
	print "/* Generated from xen/arch-x86/cpufeatureset.h by hypercall/gen-pv-cpuid.awk. */"
	print "static const struct pv_cpuid_mask { uint32_t leaf, subleaf; uint8_t reg; uint32_t mask; }"
	print "pv_cpuid_masks[] = {"
	for (w = 0; w < 64; w++)
		if (w in words)
			printf "\t{ %s, %s, %d, 0x%08x },\t/* word %d */\n", leaf[w], sub_[w], regno[w], mask[w], w
	print "};"
}
