# keel build.  Out-of-tree: every variant lives in its own $(O) directory
# with its own .config, so the static image build and the glibc dev/asan
# builds never share objects.
#
#   make                 static musl build/keel (runs `make deps` first)
#   make dev | asan      glibc builds in build/dev, build/asan
#   make check           every test (unit, integration, QEMU, runc's bats suite); summary line last
#   make conformance     runc's own bats suite against keel-runtime
#   make defconfig | NAME_defconfig | menuconfig | oldconfig | olddefconfig
#   make deps            the static musl sysroot (cached, see deps/README.md)
#   make run             build an image of containers.d and boot it in QEMU
#   make fuzz            build every libFuzzer target (clang) and run each for
#                        FUZZ_SECONDS (default 60); one summary line per target

O ?= build
V ?= 0
Q := $(if $(filter 1,$(V)),,@)
SRCDIR := $(CURDIR)
KEEL_VERSION := $(shell cat $(SRCDIR)/VERSION)
DEFCONFIG ?= keel_defconfig
FUZZ_SECONDS ?= 60

# Where `make deps` puts the static sysroot: outside the tree so a fresh
# clone on the same machine reuses it (deps/build.sh checks its own stamp).
KEEL_CACHE ?= $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)/keel
SYSROOT ?= $(KEEL_CACHE)/sysroot

CONFIG := $(O)/.config
AUTOCONF := $(O)/include/config/auto.conf
AUTOHEADER := $(O)/include/generated/autoconf.h
KCONFIG_ENV := KCONFIG_CONFIG=$(CONFIG) KCONFIG_AUTOCONFIG=$(AUTOCONF) \
	KCONFIG_AUTOHEADER=$(AUTOHEADER) KCONFIG_TRISTATE=$(O)/include/config/tristate.conf

.DEFAULT_GOAL := all

.PHONY: packages all dev asan check check-unit check-asan check-clients-guest check-store conformance clean \
	distclean deps run fuzz \
	defconfig menuconfig oldconfig olddefconfig savedefconfig bench format FORCE

# ---- configuration --------------------------------------------------------

%_defconfig: FORCE
	$(Q)mkdir -p $(O)/include/config $(O)/include/generated
	$(Q)command -v kconfig-conf >/dev/null || ./deps/packages.sh
	$(Q)$(KCONFIG_ENV) kconfig-conf --defconfig=configs/$@ Kconfig >/dev/null
	@echo "  CONFIG  $(CONFIG) from configs/$@"

defconfig: $(DEFCONFIG)

menuconfig oldconfig olddefconfig savedefconfig: FORCE
	$(Q)mkdir -p $(O)/include/config $(O)/include/generated
	$(Q)command -v kconfig-conf >/dev/null || ./deps/packages.sh
	$(Q)$(KCONFIG_ENV) $(if $(filter menuconfig,$@),kconfig-mconf,kconfig-conf --$@) Kconfig

$(CONFIG):
	$(Q)$(MAKE) --no-print-directory O=$(O) $(DEFCONFIG)

# silentoldconfig (syncconfig) writes auto.conf and autoconf.h from .config.
$(AUTOCONF) $(AUTOHEADER): $(CONFIG) Kconfig
	$(Q)mkdir -p $(O)/include/config $(O)/include/generated
	$(Q)cd $(O) && KCONFIG_CONFIG=.config KCONFIG_AUTOCONFIG=include/config/auto.conf \
		KCONFIG_AUTOHEADER=include/generated/autoconf.h \
		KCONFIG_TRISTATE=include/config/tristate.conf \
		kconfig-conf --silentoldconfig $(SRCDIR)/Kconfig >/dev/null
	$(Q)touch $(AUTOCONF) $(AUTOHEADER)

CONFIG_GOALS := %_defconfig defconfig menuconfig oldconfig olddefconfig savedefconfig \
	clean distclean packages deps dev asan check check-unit check-asan conformance run bench format fuzz
ifeq ($(filter $(CONFIG_GOALS),$(MAKECMDGOALS)),)
-include $(AUTOCONF)
endif

# ---- toolchain and flags ----------------------------------------------------

WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2 \
	-Wstrict-prototypes -Wmissing-prototypes -Wno-format-nonliteral
CPPFLAGS := -D_GNU_SOURCE -I$(SRCDIR) -I$(O)/include -include generated/autoconf.h \
	-DKEEL_VERSION='"$(KEEL_VERSION)"'
CFLAGS := -std=gnu11 -Os -g $(WARN) -ffunction-sections -fdata-sections \
	-fno-strict-aliasing $(EXTRA_CFLAGS)
LDFLAGS := -Wl,--gc-sections $(EXTRA_LDFLAGS)

LIBS := -ljson-c -lcap -lmount -lblkid
ifeq ($(CONFIG_SECCOMP),y)
LIBS += -lseccomp
endif
ifeq ($(CONFIG_UDEV),y)
LIBS += -ludev -lkmod
endif

ifeq ($(CONFIG_STATIC),y)
PKG_CONFIG := PKG_CONFIG_LIBDIR=$(SYSROOT)/lib/pkgconfig pkg-config
else
PKG_CONFIG := pkg-config
endif
ifeq ($(CONFIG_UDEV),y)
CPPFLAGS += -DKEEL_UDEV_VERSION='"$(shell $(PKG_CONFIG) --modversion libudev 2>/dev/null)"'
endif

ifeq ($(CONFIG_STATIC),y)
# The sysroot's stamp is a makefile (one comment line): including it makes
# make build the sysroot first and then start over, so everything below
# that asks the sysroot (pkg-config, the compiler wrapper) sees it built.
include $(SYSROOT)/.stamp
CC := $(SYSROOT)/bin/musl-cc
CPPFLAGS += -isystem $(SYSROOT)/include
LDFLAGS += -static -L$(SYSROOT)/lib
STRIP ?= strip
# Static link order: every archive before the ones it uses (libmount needs
# libblkid, libudev needs libcap).  Kconfig decides seccomp and udev (with
# udev comes libkmod: modules by alias for the devices it finds).
LIBS := -lmount -lblkid $(if $(filter y,$(CONFIG_UDEV)),-ludev -lkmod) \
	$(if $(filter y,$(CONFIG_SECCOMP)),-lseccomp) -lcap -ljson-c
# lib/arena.h: every malloc, calloc, realloc and free of the static link
# (keel, the libraries, musl's own callers, and musl's internal
# __libc_malloc/calloc/free that its locale functions call) goes through
# lib/arena.c, so the runtime's short-lived commands can allocate from a
# bump arena.
CPPFLAGS += -DKEEL_ARENA_WRAP
LDFLAGS += -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free \
	-Wl,--wrap=__libc_malloc,--wrap=__libc_calloc,--wrap=__libc_free
# lib/sysfast.c: keel's open() and fcntl(F_DUPFD_CLOEXEC) without musl's
# extra fcntl(F_SETFD) after each, for kernels that ignored O_CLOEXEC.
CPPFLAGS += -DKEEL_SYSCALL_WRAP
LDFLAGS += -Wl,--wrap=open,--wrap=fcntl
else
CC ?= gcc
CPPFLAGS += $(shell pkg-config --cflags json-c mount)
endif

ifeq ($(CONFIG_SANITIZERS),y)
CFLAGS := $(filter-out -Os,$(CFLAGS)) -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

# ---- sources ----------------------------------------------------------------
# Every .c under these directories is part of libkeel.a except the
# multi-call entry point, so a new file needs no Makefile edit.

LIB_SRCS := $(sort $(wildcard lib/*.c runtime/*.c runtime/cli/*.c init/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/obj/%.o)
MAIN_OBJ := $(O)/obj/keel.o
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))

$(O)/obj/%.o: %.c $(AUTOHEADER)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(O)/libkeel.a: $(LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/keel.unstripped: $(MAIN_OBJ) $(O)/libkeel.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(MAIN_OBJ) $(O)/libkeel.a $(LIBS)

$(O)/keel: $(O)/keel.unstripped
ifeq ($(CONFIG_STATIC),y)
	$(Q)$(STRIP) -o $@ $<
else
	$(Q)cp $< $@
endif
	@printf '  KEEL    %s: %s bytes, %s\n' $@ "$$(stat -c %s $@)" \
		"$$(file -b $@ | sed 's/, \(version\|interpreter\|BuildID\|for GNU\|with debug\)[^,]*//g')"

# Unit tests link libkeel.a and cmocka; they run in glibc builds only.  Their
# shared helpers are headers (tests/unit/*.h: linux-helpers.h, fixture.h).
$(O)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(O)/libkeel.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ $< \
		$(O)/libkeel.a $(LIBS) -lcmocka

-include $(LIB_OBJS:.o=.d) $(MAIN_OBJ:.o=.d)

ifeq ($(CONFIG_STATIC),y)
all: $(SYSROOT)/.stamp
endif
all: $(O)/keel $(O)/keel-runtime $(O)/keelctl
ifneq ($(CONFIG_STATIC),y)
all: $(UNIT_BINS)
endif

$(O)/keel-runtime $(O)/keelctl: $(O)/keel
	$(Q)ln -sf keel $@

# deps/build.sh compares its own hash of deps/ with the stamp and does
# nothing when they match, so touching deps/ costs one quick check.  Its
# headers are -isystem (not in .d files): a rebuilt sysroot rebuilds keel.
$(SYSROOT)/.stamp: $(shell find deps -type f 2>/dev/null)
	$(Q)./deps/build.sh $(SYSROOT)

ifeq ($(CONFIG_STATIC),y)
$(LIB_OBJS) $(MAIN_OBJ) $(O)/keel.unstripped: $(SYSROOT)/.stamp
endif

# The config-only goals above never read auto.conf; these build variants
# re-enter make with their own O= so each gets a complete, consistent set.
# Debian packages the build, tests and demo need (apt-get as root; a no-op
# when everything is installed).
packages:
	$(Q)./deps/packages.sh

deps:
	$(Q)./deps/build.sh $(SYSROOT)
	@echo "  DEPS    $(SYSROOT) is up to date"

dev:
	$(Q)test -f build/dev/.config || $(MAKE) --no-print-directory O=build/dev dev_defconfig
	$(Q)$(MAKE) --no-print-directory O=build/dev all

asan:
	$(Q)test -f build/asan/.config || $(MAKE) --no-print-directory O=build/asan asan_defconfig
	$(Q)$(MAKE) --no-print-directory O=build/asan all

# Unit tests in the dev build; integration and QEMU tests use the static
# build/keel (the binary users ship) unless KEEL= says otherwise.
check: packages
	$(Q)./deps/packages.sh conformance || \
		echo "make check: deps/packages.sh conformance failed; runc's bats suite will skip, saying why" >&2
	$(Q)$(MAKE) --no-print-directory dev
	$(Q)$(MAKE) --no-print-directory asan
	$(Q)$(MAKE) --no-print-directory O=build all
	$(Q)./tests/check.sh

# runc's own integration suite against keel-runtime (tests/conformance/),
# alone (`make check` runs it too): RUNC_SRC=DIR, or Debian's runc source
# package, fetched once with apt-get source into ~/.cache/keel/runc-src.
conformance: packages
	$(Q)./deps/packages.sh conformance
	$(Q)$(MAKE) --no-print-directory O=build all
	$(Q)./tests/run.sh --only conformance

# podman and containerd in the QEMU guest (pure cgroup v2) with every case
# of tests/integration/clients-*.sh, keel and runc side by side: 14 to 19
# minutes under TCG, so `make check` runs only the quick set with keel
# (tests-qemu/scenarios/clients, 5 minutes with other QEMUs on this machine).
check-clients-guest: packages
	$(Q)$(MAKE) --no-print-directory O=build all
	$(Q)KEEL_CLIENTS_FULL=1 KEEL=build/keel ./tests-qemu/scenarios/clients/run.sh

# The store scenario's power cuts in the middle of an update: 20 tries
# (make check runs 3; tests-qemu/README.md has the times).
check-store: packages
	$(Q)$(MAKE) --no-print-directory O=build all
	$(Q)KEEL_STORE_TRIES=20 KEEL_STORE_SEED_TRIES=5 KEEL=build/keel ./tests-qemu/scenarios/store/run.sh

check-unit: dev
	$(Q)./tests/run.sh --build build/dev --dev build/dev --only unit

check-asan: asan
	$(Q)./tests/run.sh --build build/asan --dev build/asan --only unit,integration

run: packages
	$(Q)$(MAKE) --no-print-directory O=build all
	$(Q)./tests-qemu/run-demo.sh --keel build/keel containers.d

# tests/fuzz/run.sh builds libkeel.a with clang and the sanitizers in
# build/fuzz (its own O=) and links each target against it.
fuzz:
	$(Q)./tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_SRCS:tests/fuzz/%.c=%)

bench:
	$(Q)$(MAKE) --no-print-directory O=build all
	$(Q)./bench/run.sh build/keel

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

distclean: clean
	rm -rf $(SYSROOT)

FORCE:
