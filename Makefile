# SPDX-License-Identifier: BSD-2-Clause
# memscope: `make` builds every tool into $(BUILD); `make run`, `make test` and
# `make bench` first install whatever build or test dependency is missing.

BUILD   ?= build
CLANG   ?= clang
CC      ?= cc
CXX     ?= c++
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX := vmlinux/$(ARCH)/vmlinux.h

# One entry per tool: the BPF object(s) it embeds as skeletons.
TOOLS := cachestat cachetop memleak faultstat reclaimlat slabratetop oomkill memscope-exporter
cachestat_BPF := pagecache
cachetop_BPF := pagecache
reclaimlat_BPF := reclaimlat
slabratetop_BPF := slab
slabratetop_LIBS = $(NCURSES_LIBS) $(DW_LIBS)
oomkill_BPF := oomkill reclaimlat
NCURSES_LIBS := $(shell $(PKG_CONFIG) --libs ncursesw 2>/dev/null || echo -lncursesw -ltinfo)
cachetop_LIBS := $(NCURSES_LIBS)
faultstat_BPF := faultstat
faultstat_LIBS = $(NCURSES_LIBS) $(DW_LIBS)
memscope-exporter_BPF := pagecache faultstat reclaimlat oomkill slab
MHD_LIBS := $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
memscope-exporter_LIBS = $(MHD_LIBS) $(NCURSES_LIBS) $(DW_LIBS) -lm -lpthread
memleak_BPF := memleak kmemleak
DW_LIBS := $(shell $(PKG_CONFIG) --libs libdw 2>/dev/null || echo -ldw -lelf) -llzma -lz
memleak_LIBS := $(DW_LIBS) -ldl
unit_memleak_LIBS := $(DW_LIBS) -ldl
unit_sym_LIBS := $(DW_LIBS) -ldl
unit_slab_LIBS := $(DW_LIBS)

BPF_OBJS := $(sort $(foreach t,$(TOOLS),$($(t)_BPF)))
USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(USER_SRCS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
HELPER_SRCS := $(filter-out tests/func/nolibc.c bench/floor.c bench/floor.bpf.c,$(wildcard tests/func/*.c bench/*.c))
HELPER_BINS := $(patsubst %.c,$(BUILD)/%,$(HELPER_SRCS))
SKELS := $(patsubst %,$(BUILD)/%.skel.h,$(BPF_OBJS))

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -D_GNU_SOURCE
CPPFLAGS += -I$(BUILD) -Iuser -Ibpf
LDLIBS += $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz)
BPF_CFLAGS := -g -O2 --target=bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-I$(dir $(VMLINUX)) -Ibpf

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps run test test-unit bench install uninstall clean

all: $(patsubst %,$(BUILD)/%,$(TOOLS)) $(BUILD)/tests/loadtest $(UNIT_BINS) $(HELPER_BINS)

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX) | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(BUILD)/%.o: %.c | $(SKELS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libmemscope.a: $(USER_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(patsubst %,$(BUILD)/%,$(TOOLS)): $(BUILD)/%: $(BUILD)/tools/%.o $(BUILD)/libmemscope.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) $($*_LIBS) -o $@

$(BUILD)/tests/loadtest: $(BUILD)/tests/bpf/loadtest.o $(BUILD)/libmemscope.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) $(DW_LIBS) -ldl -o $@

$(UNIT_BINS): $(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libmemscope.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) $(NCURSES_LIBS) $($*_LIBS) -o $@

# Workloads and test helpers: plain programs, no library.
$(HELPER_BINS): $(BUILD)/%: %.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< -o $@
# slabratetop --stacks names the workload's function: its user stack is
# walked by frame pointers
$(BUILD)/tests/func/slabload: CFLAGS += -fno-omit-frame-pointer

# The bench's floor: empty BPF programs on a tool's hooks, and their loader
all: $(BUILD)/bench/floor $(BUILD)/bench/floor.bpf.o
$(BUILD)/bench/floor.bpf.o: bench/floor.bpf.c $(VMLINUX)
	$(call msg,BPF,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(BUILD)/bench/floor: bench/floor.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LDLIBS) -o $@

# memleak's test program, once more with and without frame pointers
LEAKER_BINS := $(BUILD)/tests/func/leaker-fp $(BUILD)/tests/func/leaker-nofp
all: $(LEAKER_BINS)
$(BUILD)/tests/func/leaker-fp: tests/func/leaker.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -fno-omit-frame-pointer -pthread $< -o $@
$(BUILD)/tests/func/leaker-nofp: tests/func/leaker.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -fomit-frame-pointer -pthread $< -o $@

# memleak's C++ test program (operator new in libstdc++), the same two ways
CXX_LEAKER_BINS := $(BUILD)/tests/func/cxxleaker-fp $(BUILD)/tests/func/cxxleaker-nofp
all: $(CXX_LEAKER_BINS)
$(BUILD)/tests/func/cxxleaker-fp: tests/func/cxxleaker.cc
	$(call msg,CXX,$@)
	@mkdir -p $(@D)
	$(Q)$(CXX) -std=c++17 $(filter-out -std=gnu11,$(CFLAGS)) -fno-omit-frame-pointer $< -o $@
$(BUILD)/tests/func/cxxleaker-nofp: tests/func/cxxleaker.cc
	$(call msg,CXX,$@)
	@mkdir -p $(@D)
	$(Q)$(CXX) -std=c++17 $(filter-out -std=gnu11,$(CFLAGS)) -fomit-frame-pointer $< -o $@

# ... static, and a program without libc: what -c must probe, or refuse
all: $(BUILD)/tests/func/leaker-static $(BUILD)/tests/func/nolibc
$(BUILD)/tests/func/leaker-static: tests/func/leaker.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -static -pthread $< -o $@
$(BUILD)/tests/func/nolibc: tests/func/nolibc.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -static -nostdlib $< -o $@

# the symbolizer's fuzz test (tests/func/memleak_fuzz.sh): its driver, the
# small library it mutates, and a program that loads that library
FUZZ_BINS := $(BUILD)/tests/symcheck $(BUILD)/tests/fuzz/libmsfuzz.so $(BUILD)/tests/fuzz/maplib \
	$(BUILD)/tests/fuzz/badframe
all: $(FUZZ_BINS)
$(BUILD)/tests/symcheck: $(BUILD)/tests/fuzz/symcheck.o $(BUILD)/libmemscope.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) $(DW_LIBS) -ldl -o $@
$(BUILD)/tests/fuzz/libmsfuzz.so: tests/fuzz/msfuzz.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -O1 -g -gz=zlib -fPIC -shared -fno-omit-frame-pointer $< -o $@
$(BUILD)/tests/fuzz/maplib: tests/fuzz/maplib.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< -ldl -o $@
$(BUILD)/tests/fuzz/badframe: tests/fuzz/badframe.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -fomit-frame-pointer $< -o $@

$(BUILD)/bpf:
	@mkdir -p $@

# Installs what a fresh Debian 12 machine lacks; quiet and quick when all is there.
deps:
	$(Q)scripts/deps.sh build

run:
	$(Q)scripts/deps.sh build
	$(Q)$(MAKE) --no-print-directory all
	$(BUILD)/cachestat 1 5

test:
	$(Q)scripts/deps.sh build test
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run.sh

test-unit: all
	$(Q)tests/run.sh unit

bench:
	$(Q)scripts/deps.sh bench
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bench/bench.sh

# The tools and memscope-exporter into $(PREFIX)/sbin (they need root or
# CAP_BPF and CAP_PERFMON), their man pages into section 8, the exporter's
# systemd unit into $(UNITDIR); DESTDIR for packaging.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MAN8DIR ?= $(PREFIX)/share/man/man8
UNITDIR ?= $(PREFIX)/lib/systemd/system

install: $(patsubst %,$(BUILD)/%,$(TOOLS))
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MAN8DIR)
	install -m 0755 $(patsubst %,$(BUILD)/%,$(TOOLS)) $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(patsubst %,man/%.8,$(TOOLS)) $(DESTDIR)$(MAN8DIR)/
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|/usr/local/sbin|$(SBINDIR)|' scripts/memscope-exporter.service > $(DESTDIR)$(UNITDIR)/memscope-exporter.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/memscope-exporter.service

uninstall:
	rm -f $(patsubst %,$(DESTDIR)$(SBINDIR)/%,$(TOOLS)) $(patsubst %,$(DESTDIR)$(MAN8DIR)/%.8,$(TOOLS)) \
		$(DESTDIR)$(UNITDIR)/memscope-exporter.service

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
