# SPDX-License-Identifier: GPL-2.0
#
#   make              build build/profiler
#   make demo         install what is missing, build, profile a demo program
#   make test         install what is missing, build, run every test
#   make fuzz         run each libFuzzer target FUZZ_SECONDS (default 60) seconds
#   make bench        benchmarks against perf and bpftrace (docs/performance.md)
#   make soak         10 minutes system-wide under process churn, plain and ASan
#                     (SOAK_SECONDS, SOAK_VARIANTS; figures into docs/performance.md)
#   make soak-agent   profiler agent for 10 minutes under process churn: RSS at
#                     1 and 10 minutes (SOAK_SECONDS; into docs/performance.md)
#   make test-kernels boot other kernels under qemu and run a smoke suite in each
#                     (KERNELS="6.1 5.10 linux-image-…"; default 6.1 5.10)
#   make install      install to $(PREFIX) (default /usr/local), DESTDIR for staging:
#                     binary, man page, bash completion, systemd unit for the agent
#   make uninstall    remove what make install put there
#   make vmlinux      regenerate vmlinux/$(ARCH)/vmlinux.h from the running kernel

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
	-e 's/ppc64le/powerpc/' -e 's/s390x/s390/' -e 's/riscv64/riscv/')
BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= gcc
CLANG ?= clang
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
PKG_CONFIG ?= pkg-config

VMLINUX_H := vmlinux/$(ARCH)/vmlinux.h
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_HDRS := $(wildcard bpf/*.h) $(wildcard include/*.h)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/skel/%.skel.h,$(BPF_SRCS))

SRCS := $(shell find src -name '*.c' | sort)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))

# Two variants of the user-space objects: plain, and with AddressSanitizer
# and UBSan, which the unit tests and a part of the integration tests use.
OBJ := $(BUILD)/obj
ASAN_OBJ := $(BUILD)/asan/obj

WARN := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
	-Wmissing-prototypes -Wstrict-prototypes
CFLAGS ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -Iinclude -Isrc -I$(BUILD)/skel
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) $(shell $(PKG_CONFIG) --cflags libbpf libelf 2>/dev/null)
# libcurl and libmicrohttpd (the agent's) are dlopen()ed when first used,
# not linked: with their dependencies they were ~30 of the 42 libraries
# that every start mapped and relocated (util/dynlib.h)
LIBS := $(shell $(PKG_CONFIG) --libs libbpf libelf libdw zlib liblzma libseccomp ncursesw 2>/dev/null || echo -lbpf -lelf -ldw -lz -llzma -lseccomp -lncursesw -ltinfo) -liberty -pthread
# the unit tests' own HTTP server (test_push.c) links libmicrohttpd
TEST_LIBS := $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Iinclude -Ibpf \
	-Ivmlinux/$(ARCH) -Wall -Werror -Wno-unused-function

.PHONY: all clean install uninstall demo test test-unit test-integration test-kernels bench soak soak-agent fuzz \
	deps vmlinux check-tools
.DELETE_ON_ERROR:

all: $(BUILD)/profiler

check-tools:
	@command -v $(CLANG) >/dev/null || { echo "clang not found: run 'scripts/deps.sh' (or apt-get install clang)" >&2; exit 1; }
	@test -x $(BPFTOOL) || { echo "bpftool not found: run 'scripts/deps.sh' (or apt-get install bpftool)" >&2; exit 1; }

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(VMLINUX_H) | check-tools
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	llvm-strip -g $@.tmp -o $@ 2>/dev/null || mv $@.tmp $@
	@rm -f $@.tmp

$(BUILD)/skel/%.skel.h: $(BUILD)/bpf/%.bpf.o
	@mkdir -p $(@D)
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(OBJ)/%.o: src/%.c $(SKELS) Makefile
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(ASAN_OBJ)/%.o: src/%.c $(SKELS) Makefile
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(ASAN_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/profiler: $(patsubst src/%.c,$(OBJ)/%.o,$(SRCS))
	$(CC) $(ALL_CFLAGS) $^ $(LIBS) -o $@

$(BUILD)/asan/profiler: $(patsubst src/%.c,$(ASAN_OBJ)/%.o,$(SRCS))
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) $^ $(LIBS) -o $@

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- tests --------------------------------------------------------------

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
WORKLOAD_SRCS := $(wildcard tests/workloads/*.c)
WORKLOADS := $(patsubst tests/workloads/%.c,$(BUILD)/workloads/%,$(WORKLOAD_SRCS))
# Frame pointers everywhere, leaf functions included: GCC otherwise leaves
# leaves without a frame and frame-pointer unwinding skips their caller.
WORKLOAD_CFLAGS := -O1 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-inline -fno-optimize-sibling-calls -pthread

$(BUILD)/tests/%: tests/unit/%.c $(patsubst src/%.c,$(ASAN_OBJ)/%.o,$(LIB_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(ASAN_FLAGS) -Itests/unit $^ $(LIBS) $(TEST_LIBS) -lcmocka -o $@

$(BUILD)/workloads/%: tests/workloads/%.c
	@mkdir -p $(@D)
	$(CC) $(WORKLOAD_CFLAGS) $< -o $@ -ldl

# C++: libstdc++ (no frame pointers in Debian's) between the workload and malloc
WORKLOADS += $(BUILD)/workloads/newleak
$(BUILD)/workloads/newleak: tests/workloads/newleak.cc
	@mkdir -p $(@D)
	$(CXX) $(WORKLOAD_CFLAGS) $< -o $@

# Go programs (tests/workloads/go/NAME/), built offline with Debian's go,
# its cache under the build directory: as is, stripped as release builds
# are (-s -w: no .symtab, no DWARF), and one calling C through cgo
GO ?= go
GO_ENV := GOCACHE=$(abspath $(BUILD))/gocache GOPATH=$(abspath $(BUILD))/gopath \
	GOTOOLCHAIN=local GOPROXY=off GOFLAGS= GO111MODULE=on
GO_BUILD := $(GO_ENV) $(GO) build -buildvcs=false
GO_WORKLOADS := $(addprefix $(BUILD)/workloads/go/,gowork gowork-stripped gocgo)
WORKLOADS += $(GO_WORKLOADS)
$(BUILD)/workloads/go/gowork: $(wildcard tests/workloads/go/gowork/*)
	@mkdir -p $(@D)
	cd tests/workloads/go/gowork && CGO_ENABLED=0 $(GO_BUILD) -o $(abspath $@) .
$(BUILD)/workloads/go/gowork-stripped: $(wildcard tests/workloads/go/gowork/*)
	@mkdir -p $(@D)
	cd tests/workloads/go/gowork && CGO_ENABLED=0 $(GO_BUILD) -ldflags="-s -w" -o $(abspath $@) .
$(BUILD)/workloads/go/gocgo: $(wildcard tests/workloads/go/gocgo/*)
	@mkdir -p $(@D)
	cd tests/workloads/go/gocgo && CGO_ENABLED=1 $(GO_BUILD) -o $(abspath $@) .

# Libraries the workloads load
WORKLOADS += $(BUILD)/workloads/libspin.so
$(BUILD)/workloads/libspin.so: tests/workloads/lib/libspin.c
	@mkdir -p $(@D)
	$(CC) $(WORKLOAD_CFLAGS) -fPIC -shared $< -o $@

# CPython in a shared library, as Fedora and pyenv ship it (libpython3.11-dev)
WORKLOADS += $(BUILD)/workloads/pyembed
$(BUILD)/workloads/pyembed: tests/workloads/python/pyembed.c
	@mkdir -p $(@D)
	$(CC) $(WORKLOAD_CFLAGS) $$(PKG_CONFIG_PATH= pkg-config --cflags python-3.11-embed) $< -o $@ \
		$$(PKG_CONFIG_PATH= pkg-config --libs python-3.11-embed)
# the same interpreter dlopen'ed after the process's first samples
WORKLOADS += $(BUILD)/workloads/pydlopen
$(BUILD)/workloads/pydlopen: tests/workloads/python/pydlopen.c
	@mkdir -p $(@D)
	$(CC) $(WORKLOAD_CFLAGS) $< -o $@ -ldl

# One program built twice, non-PIE at one address with other names: a
# parent that forks and execs the child (the lifetime tag's known truth)
WORKLOADS += $(BUILD)/workloads/lifegen-parent $(BUILD)/workloads/lifegen-child
$(BUILD)/workloads/lifegen-parent: tests/workloads/life/lifegen.c
	@mkdir -p $(@D)
	$(CC) $(WORKLOAD_CFLAGS) -fno-pie -no-pie -DLIFE_PARENT $< -o $@
$(BUILD)/workloads/lifegen-child: tests/workloads/life/lifegen.c
	@mkdir -p $(@D)
	$(CC) $(WORKLOAD_CFLAGS) -fno-pie -no-pie $< -o $@

# ELF fixtures for the symbol-lookup unit tests: PIE, non-PIE, shared, stripped.
FIXTURES := $(BUILD)/fixtures/sym-pie $(BUILD)/fixtures/sym-nopie \
	$(BUILD)/fixtures/libsym.so $(BUILD)/fixtures/sym-stripped \
	$(BUILD)/fixtures/sym-debuglink $(BUILD)/fixtures/dotdebug/sym-dotdebug \
	$(BUILD)/fixtures/debugroot/sym-buildid $(BUILD)/fixtures/sym-badcrc \
	$(BUILD)/fixtures/sym-minidebug $(BUILD)/fixtures/sym-ibt
FIX_SRC := tests/unit/fixtures/sym.c
$(BUILD)/fixtures/sym-pie: $(FIX_SRC)
	@mkdir -p $(@D)
	$(CC) -O1 -g -fPIE -pie $< -o $@
$(BUILD)/fixtures/sym-nopie: $(FIX_SRC)
	@mkdir -p $(@D)
	$(CC) -O1 -g -fno-pie -no-pie $< -o $@
$(BUILD)/fixtures/libsym.so: $(FIX_SRC)
	@mkdir -p $(@D)
	$(CC) -O1 -g -fPIC -shared -DSHARED_LIB $< -o $@
# IBT's split PLT: the stubs that jump are in .plt.sec
$(BUILD)/fixtures/sym-ibt: $(FIX_SRC)
	@mkdir -p $(@D)
	$(CC) -O1 -g -fPIE -pie -fcf-protection=full -Wl,-z,ibtplt $< -o $@
$(BUILD)/fixtures/sym-stripped: $(BUILD)/fixtures/sym-pie
	strip -s $< -o $@

# Separate debug info, each way a distribution ships it: .gnu_debuglink
# beside the binary, in its .debug/, by build-id under a debug root, a
# debuglink whose CRC does not match, and MiniDebugInfo (.gnu_debugdata).
$(BUILD)/fixtures/sym-debuglink: $(BUILD)/fixtures/sym-pie
	objcopy --only-keep-debug $< $@.debug
	strip -s $< -o $@.tmp
	cd $(@D) && objcopy --add-gnu-debuglink=$(@F).debug $(@F).tmp $(@F)
	rm -f $@.tmp
$(BUILD)/fixtures/dotdebug/sym-dotdebug: $(BUILD)/fixtures/sym-pie
	@mkdir -p $(@D)/.debug
	objcopy --only-keep-debug $< $(@D)/.debug/sym-dotdebug.dbg
	strip -s $< -o $@.tmp
	cd $(@D)/.debug && objcopy --add-gnu-debuglink=sym-dotdebug.dbg ../sym-dotdebug.tmp ../sym-dotdebug
	rm -f $@.tmp
$(BUILD)/fixtures/debugroot/sym-buildid: $(BUILD)/fixtures/sym-pie
	@mkdir -p $(@D)
	id=$$(readelf -n $< | sed -n 's/.*Build ID: //p'); \
	d=$$(echo $$id | cut -c1-2); f=$$(echo $$id | cut -c3-); \
	mkdir -p $(@D)/.build-id/$$d && \
	objcopy --only-keep-debug $< $(@D)/.build-id/$$d/$$f.debug
	strip -s $< -o $@
$(BUILD)/fixtures/sym-badcrc: $(BUILD)/fixtures/sym-pie $(BUILD)/fixtures/sym-nopie
	objcopy --only-keep-debug $< $@.debug
	strip -s $< -o $@.tmp
	cd $(@D) && objcopy --add-gnu-debuglink=$(@F).debug $(@F).tmp $(@F)
	objcopy --only-keep-debug $(BUILD)/fixtures/sym-nopie $@.debug
	rm -f $@.tmp
$(BUILD)/fixtures/sym-minidebug: $(BUILD)/fixtures/sym-pie
	objcopy --only-keep-debug $< $@.full
	objcopy --strip-debug --remove-section .comment $@.full $@.mini
	rm -f $@.mini.xz && xz -k $@.mini
	strip -s $< -o $@.tmp
	objcopy --add-section .gnu_debugdata=$@.mini.xz $@.tmp $@
	rm -f $@.tmp $@.full $@.mini $@.mini.xz

# ---- fuzzing ------------------------------------------------------------
# libFuzzer targets (tests/fuzz/fuzz_TARGET.c), each calling a parser of
# files that users or containers control.  The parsers are built with clang
# for coverage, with ASan and UBSan; seeds in tests/fuzz/corpus/TARGET/,
# inputs that once failed in tests/fuzz/regressions/TARGET/.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_OBJ := $(BUILD)/fuzz/obj
FUZZ_LIB_OBJS := $(patsubst src/%.c,$(FUZZ_OBJ)/%.o,$(LIB_SRCS))
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wno-unused-parameter \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	$(shell $(PKG_CONFIG) --cflags libbpf libelf 2>/dev/null)
FUZZ_SECONDS ?= 60

$(FUZZ_OBJ)/%.o: src/%.c $(SKELS) Makefile
	@mkdir -p $(@D)
	$(CLANG) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJS)
	@mkdir -p $(@D)
	@echo "  LINK $@"
	@$(CLANG) $(CPPFLAGS) $(FUZZ_CFLAGS) -Werror -fsanitize=fuzzer -Itests/fuzz $< $(FUZZ_LIB_OBJS) $(LIBS) -o $@

fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@scripts/fuzz.sh $(BUILD) $(FUZZ_SECONDS)

deps:
	@scripts/deps.sh

test: deps
	@$(MAKE) --no-print-directory all $(BUILD)/asan/profiler $(UNIT_BINS) $(WORKLOADS) $(FIXTURES) $(FUZZ_BINS)
	@scripts/run-tests.sh $(BUILD)

test-unit: $(UNIT_BINS) $(FIXTURES) $(GO_WORKLOADS) $(FUZZ_BINS)
	@scripts/run-tests.sh $(BUILD) unit

test-integration: all $(BUILD)/asan/profiler $(WORKLOADS)
	@scripts/run-tests.sh $(BUILD) integration

# Other kernels under qemu (scripts/kernels/): the workloads the guest's
# smoke suite runs, as listed in scripts/kernels/initramfs.sh.
KERNELS ?= 6.1 5.10
KERNEL_WORKLOADS := $(addprefix $(BUILD)/workloads/,burn31 manystacks waits lockfight mem_sites dio latency qsort_slow go/gocgo \
	lifegen-parent lifegen-child)
test-kernels:
	@scripts/deps.sh --kernels
	@$(MAKE) --no-print-directory all $(KERNEL_WORKLOADS)
	@scripts/kernels/run.sh $(BUILD) $(KERNELS)

demo: deps
	@$(MAKE) --no-print-directory all $(BUILD)/workloads/demo
	@scripts/demo.sh $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory all $(WORKLOADS)
	@scripts/bench/run.sh $(BUILD)

soak: deps
	@SOAK_DOC=$${SOAK_DOC-docs/performance.md} scripts/soak.sh $(BUILD)

soak-agent: deps
	@SOAK_DOC=$${SOAK_DOC-docs/performance.md} scripts/soak-agent.sh $(BUILD)

vmlinux:
	@mkdir -p vmlinux/$(ARCH)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX_H).tmp
	mv $(VMLINUX_H).tmp $(VMLINUX_H)

# The binary, its man page, bash completion (which reads the commands and
# options from the installed binary's --help, so it never goes stale) and
# the agent's systemd unit (dist/systemd, ExecStart pointing at BINDIR).
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
INSTALLED := $(BINDIR)/profiler $(MANDIR)/man1/profiler.1 $(BASHCOMPDIR)/profiler \
	$(SYSTEMDUNITDIR)/profiler-agent.service

install: $(BUILD)/profiler
	install -D -m 0755 $(BUILD)/profiler $(DESTDIR)$(BINDIR)/profiler
	install -D -m 0644 docs/profiler.1 $(DESTDIR)$(MANDIR)/man1/profiler.1
	install -D -m 0644 dist/bash-completion/profiler $(DESTDIR)$(BASHCOMPDIR)/profiler
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|@BINDIR@|$(BINDIR)|g' dist/systemd/profiler-agent.service \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/profiler-agent.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/profiler-agent.service

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

clean:
	rm -rf $(BUILD)
