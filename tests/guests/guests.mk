# guests.mk — the Xen PV test guests (tests/guests/<name>/main.c), each built
# from one source as pv64 (build/guests/pv64/<name>) and pv32 PAE
# (build/guests/pv32/<name>). Included by the top-level Makefile.

GUEST_SRC   := tests/guests
GUEST_NAMES := $(patsubst $(GUEST_SRC)/%/main.c,%,$(wildcard $(GUEST_SRC)/*/main.c))
GUEST_LIB_C := $(wildcard $(GUEST_SRC)/lib/*.c)
GUEST_LIB_S := $(filter-out %32.S %64.S %.lds.S,$(wildcard $(GUEST_SRC)/lib/*.S))

GUEST_CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Werror \
	-ffreestanding -nostdinc -isystem $(GCC_INCLUDE) -idirafter /usr/include \
	-I$(GUEST_SRC)/lib -D__XEN_INTERFACE_VERSION__=0x00040d00 \
	-fno-pic -fno-pie -fno-stack-protector -fno-common -fno-strict-aliasing \
	-fno-asynchronous-unwind-tables -fno-unwind-tables -fcf-protection=none \
	-fno-tree-loop-distribute-patterns -mno-sse -mno-sse2 -mno-mmx -mno-80387 \
	-ffile-prefix-map=$(CURDIR)/=
GUEST64_CFLAGS := $(GUEST_CFLAGS) -m64 -mcmodel=kernel -mno-red-zone
GUEST32_CFLAGS := $(GUEST_CFLAGS) -m32
GUEST_LDFLAGS  := -static -nostdlib --no-dynamic-linker --build-id=none \
	-z noexecstack -z max-page-size=4096 -z norelro

GUEST64_LIB := $(patsubst $(GUEST_SRC)/%,$(B)/guests/pv64/obj/%.o,\
	$(basename $(GUEST_LIB_C) $(GUEST_LIB_S) $(wildcard $(GUEST_SRC)/lib/*64.S)))
GUEST32_LIB := $(patsubst $(GUEST_SRC)/%,$(B)/guests/pv32/obj/%.o,\
	$(basename $(GUEST_LIB_C) $(GUEST_LIB_S) $(wildcard $(GUEST_SRC)/lib/*32.S)))
GUESTS64 := $(GUEST_NAMES:%=$(B)/guests/pv64/%)
GUESTS32 := $(GUEST_NAMES:%=$(B)/guests/pv32/%)

$(B)/guests/pv64/obj/%.o: $(GUEST_SRC)/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC64    $<")
	$(Q)$(CC) $(GUEST64_CFLAGS) -MMD -MP -c $< -o $@
$(B)/guests/pv64/obj/%.o: $(GUEST_SRC)/%.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS64    $<")
	$(Q)$(CC) $(GUEST64_CFLAGS) -D__ASSEMBLY__ -MMD -MP -c $< -o $@
$(B)/guests/pv32/obj/%.o: $(GUEST_SRC)/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC32    $<")
	$(Q)$(CC) $(GUEST32_CFLAGS) -MMD -MP -c $< -o $@
$(B)/guests/pv32/obj/%.o: $(GUEST_SRC)/%.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS32    $<")
	$(Q)$(CC) $(GUEST32_CFLAGS) -D__ASSEMBLY__ -MMD -MP -c $< -o $@

# The linker script goes through cpp for GUEST_VIRT_BASE (-std=c11 keeps
# cpp from expanding words such as "i386" or "linux").
$(B)/guests/pv64/guest.lds: $(GUEST_SRC)/lib/guest.lds.S $(GUEST_SRC)/lib/arch.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) -m64 -std=c11 -E -P -x c -I$(GUEST_SRC)/lib $< -o $@
$(B)/guests/pv32/guest.lds: $(GUEST_SRC)/lib/guest.lds.S $(GUEST_SRC)/lib/arch.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) -m32 -std=c11 -E -P -x c -I$(GUEST_SRC)/lib $< -o $@

$(GUESTS64): $(B)/guests/pv64/%: $(B)/guests/pv64/obj/%/main.o $(GUEST64_LIB) $(B)/guests/pv64/guest.lds
	@$(if $(Q),echo "  LD64    $@")
	$(Q)ld -m elf_x86_64 $(GUEST_LDFLAGS) -T $(B)/guests/pv64/guest.lds -o $@ $(filter %.o,$^)
$(GUESTS32): $(B)/guests/pv32/%: $(B)/guests/pv32/obj/%/main.o $(GUEST32_LIB) $(B)/guests/pv32/guest.lds
	@$(if $(Q),echo "  LD32    $@")
	$(Q)ld -m elf_i386 $(GUEST_LDFLAGS) -T $(B)/guests/pv32/guest.lds -o $@ $(filter %.o,$^)

GUESTS += $(GUESTS64) $(GUESTS32)
