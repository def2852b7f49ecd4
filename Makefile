# xenner — top-level build. Run ./configure first.
# Targets: all (xenner/xenner), check (all tests), demo (boot the default guest),
# fuzz (the libFuzzer targets for FUZZ_TIME seconds each).

-include config.mk
ifndef LIBFDT32
$(error run ./configure first)
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

B := build
CC := gcc
XENNER_VERSION := 0.1
HOST_CFLAGS := -DXENNER_VERSION=\"$(XENNER_VERSION)\" -O2 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	-D_GNU_SOURCE -D__XEN_INTERFACE_VERSION__=0x00040d00 -Iinclude -I.
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
HOST_LIBS := -lfdt -lpthread
HOST_LIBS += -lz -lbz2 -llzma -llzo2 -llz4 -lzstd

all: xenner/xenner

# ---------------------------------------------------------------- host code
HOST_SRCS := $(wildcard xenner/*.c pvboot/*.c backends/*.c)
HOST_OBJS := $(HOST_SRCS:%.c=$(B)/host/%.o)
# Everything but main(): what unit tests link against (with sanitizers).
LIB_SRCS := $(filter-out xenner/main.c,$(HOST_SRCS))
SAN_OBJS := $(LIB_SRCS:%.c=$(B)/san/%.o)

$(B)/host/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(B)/san/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC-SAN  $<")
	$(Q)$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(B)/host/stubs.o: xenner/stubs.S $(B)/stub64.bin $(B)/stub32.bin
	@mkdir -p $(dir $@)
	$(Q)$(CC) -c -DSTUB64_BIN='"$(B)/stub64.bin"' -DSTUB32_BIN='"$(B)/stub32.bin"' $< -o $@

xenner/xenner: $(HOST_OBJS) $(B)/host/stubs.o
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(HOST_LIBS)

# The same program built with ASan and UBSan: the guest tests run it (tests/run),
# so a hostile guest that makes the host code misbehave is caught there too.
$(B)/xenner-san: $(SAN_OBJS) $(B)/san/xenner/main.o $(B)/host/stubs.o
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# ---------------------------------------------------------------- the stub
# One source tree, two images. Files ending in 64.S/32.S belong to one variant.
STUB_C := $(wildcard hypercall/*.c)
# Generated: the PV CPUID policy derived from Xen's cpufeatureset.h annotations.
PV_CPUID_H := $(B)/gen/pv_cpuid.h
$(PV_CPUID_H): hypercall/gen-pv-cpuid.awk /usr/include/xen/arch-x86/cpufeatureset.h
	@mkdir -p $(dir $@)
	$(Q)awk -f $^ > $@.tmp && mv $@.tmp $@

STUB_COMMON_CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -nostdinc -isystem $(GCC_INCLUDE) -Ihypercall/include -Iinclude -I$(B)/gen \
	-idirafter /usr/include -fno-stack-protector -fno-builtin -mno-red-zone \
	-mno-sse -mno-mmx -mno-sse2 -mno-80387 -fno-asynchronous-unwind-tables \
	-fno-common -fno-strict-aliasing -fno-tree-loop-distribute-patterns \
	-mstringop-strategy=unrolled_loop
# No rep movs/stos from inlined copies (above): kvm_pvm emulates the stub
# one iteration at a time (docs/architecture.md, "kvm_pvm hosts").
STUB64_CFLAGS := $(STUB_COMMON_CFLAGS) -m64 -fpie -DSTUB_BITS=64
STUB32_CFLAGS := $(STUB_COMMON_CFLAGS) -m32 -fno-pic -DSTUB_BITS=32 \
	-D__XEN_INTERFACE_VERSION__=0x00040d00
STUB64_CFLAGS += -D__XEN_INTERFACE_VERSION__=0x00040d00
STUB64_OBJS := $(STUB_C:hypercall/%.c=$(B)/stub64/%.o) $(B)/stub64/entry64.o
STUB32_OBJS := $(STUB_C:hypercall/%.c=$(B)/stub32/%.o) $(B)/stub32/entry32.o

$(B)/stub64/%.o: hypercall/%.c | $(PV_CPUID_H)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC64    $<")
	$(Q)$(CC) $(STUB64_CFLAGS) -MMD -MP -c $< -o $@
$(B)/stub32/%.o: hypercall/%.c | $(PV_CPUID_H)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC32    $<")
	$(Q)$(CC) $(STUB32_CFLAGS) -MMD -MP -c $< -o $@
$(B)/stub64/%.o: hypercall/%.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(STUB64_CFLAGS) -MMD -MP -c $< -o $@
$(B)/stub32/%.o: hypercall/%.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(STUB32_CFLAGS) -MMD -MP -c $< -o $@

$(B)/stub64.elf: $(STUB64_OBJS) hypercall/stub64.lds
	@$(if $(Q),echo "  LD      $@")
	$(Q)ld -m elf_x86_64 -static -nostdlib --no-dynamic-linker -z noexecstack --no-warn-rwx-segments \
		-T hypercall/stub64.lds -o $@ $(STUB64_OBJS) /usr/lib/x86_64-linux-gnu/libfdt.a
$(B)/stub32.elf: $(STUB32_OBJS) hypercall/stub32.lds
	@$(if $(Q),echo "  LD      $@")
	$(Q)ld -m elf_i386 -static -nostdlib -z noexecstack --no-warn-rwx-segments \
		-T hypercall/stub32.lds -o $@ $(STUB32_OBJS) $(LIBFDT32) $(LIBGCC32)
$(B)/%.bin: $(B)/%.elf
	$(Q)objcopy -O binary $< $@

# ---------------------------------------------------------------- tests
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
$(B)/tests/%: tests/unit/%.c $(SAN_OBJS) $(B)/host/stubs.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -Itests/unit -o $@ $< $(SAN_OBJS) $(B)/host/stubs.o $(HOST_LIBS)

# Fuzzing (tests/fuzz): libFuzzer targets built with clang, ASan and UBSan,
# against the host library compiled with coverage. tests/run runs each for
# a fixed number of iterations; `make fuzz` runs them longer on a kept corpus.
FUZZ_CC := clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -DXENNER_VERSION=\"$(XENNER_VERSION)\" -O1 -g -std=gnu11 -Wall -Wextra -Werror \
	-Wno-unused-parameter -Wno-gnu-variable-sized-type-not-at-end -D_GNU_SOURCE \
	-D__XEN_INTERFACE_VERSION__=0x00040d00 -Iinclude -I. $(FUZZ_SAN)
FUZZ_OBJS := $(LIB_SRCS:%.c=$(B)/fuzz/obj/%.o)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/%)

$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC-FUZZ $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
# An archive: each target links only the objects it uses.
$(B)/fuzz/libxenner.a: $(FUZZ_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(B)/fuzz/libxenner.a
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(B)/fuzz/libxenner.a $(HOST_LIBS)
# The starting corpora, written at test time from the test image builders.
$(B)/fuzz/seeds: tests/fuzz/seeds.c $(SAN_OBJS) $(B)/host/stubs.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -Itests/unit -o $@ $< $(SAN_OBJS) $(B)/host/stubs.o $(HOST_LIBS)

GUESTS :=
-include tests/guests/guests.mk

unit: $(UNIT_BINS)
guests: $(GUESTS)
fuzzers: $(FUZZ_BINS) $(B)/fuzz/seeds

check: xenner/xenner $(B)/xenner-san unit guests fuzzers
	$(Q)tests/run

# FUZZ_TIME seconds per target (default 300), corpus kept in build/fuzz/corpus.
fuzz: fuzzers
	$(Q)tests/fuzz/run --time $(or $(FUZZ_TIME),300) --keep-corpus

demo: xenner/xenner guests
	$(Q)tests/demo

clean:
	rm -rf $(B)/host $(B)/san $(B)/stub64 $(B)/stub32 $(B)/tests $(B)/guests $(B)/fuzz/obj \
		$(B)/fuzz/fuzz_* $(B)/fuzz/seeds $(B)/fuzz/libxenner.a $(B)/*.elf $(B)/*.bin xenner/xenner

.PHONY: all check demo clean unit guests fuzzers fuzz
-include $(shell find $(B) -name '*.d' 2>/dev/null)
