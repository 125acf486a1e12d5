# Makefile - build, test and install bounceguard.
#
# Hand-written; configure only finds the libraries and writes config.mk.
# On a fresh clone "make", "make check" and "make demo" run configure (and,
# as root, install missing Debian packages) by themselves.
#
#   make                 build everything into build/
#   make check           unit, golden and integration tests under prove
#   make check SANITIZE=1  the same with ASan and UBSan (in build/san/)
#   make demo            the whole bounce loop with private Postfix instances (root)
#   make bench           the benchmarks; ends with one table of figures and targets
#   make fuzz            build the libFuzzer harnesses of fuzz/ with clang
#                        (ASan + UBSan, into build/fuzz/) and run each for
#                        FUZZ_SECONDS (default 60); FUZZ_SECONDS=3600 for
#                        long runs. "make check" replays fuzz/regress/.
#   make install PREFIX=/usr DESTDIR=/tmp/root
#                        (SYSTEMDUNITDIR=/lib/systemd/system also installs
#                        the systemd units of contrib/systemd/)
#   make deb             the Debian package build/bounceguard_VERSION_ARCH.deb
#                        (dpkg-buildpackage in a copy of the tree, build/deb/)
#   make check-deb       build it, check it with lintian, install it on this
#                        machine, use it, purge it (root; changes the machine)
#   make deps            install build and test dependencies (root)
#   WERROR=1             turn warnings into errors (CI does)

PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/bounceguard
DATADIR    ?= $(PREFIX)/share/bounceguard
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc/bounceguard
STATEDIR   ?= /var/lib/bounceguard
SYSTEMDUNITDIR ?=
DESTDIR    ?=
BG_GROUP   ?= bounceguard

ifeq ($(SANITIZE),1)
O          := build/san
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
O          := build
SAN_FLAGS  :=
endif

-include config.mk

WARN    := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
           -Wformat=2 -Wno-format-nonliteral
ifeq ($(WERROR),1)
WARN    += -Werror
endif
CFLAGS  ?= -O2 -g
DEFS    = -std=gnu11 -D_GNU_SOURCE $(GMIME_CFLAGS) $(PCRE2_CFLAGS) \
	-DBG_VERSION='"$(VERSION)"' \
	-DBG_SYSCONFDIR='"$(SYSCONFDIR)"' -DBG_STATEDIR='"$(STATEDIR)"' \
	-DBG_RULESDIR='"$(DATADIR)/rules"' -DBG_LIBEXECDIR='"$(LIBEXECDIR)"' \
	-DBG_SRCDIR='"$(CURDIR)"' -DBG_BUILDDIR='"$(CURDIR)/build"'
ALL_CFLAGS = $(CPPFLAGS) $(DEFS) $(INC) $(CFLAGS) $(WARN) $(SAN_FLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS)
LIBS    = $(GMIME_LIBS) $(PCRE2_LIBS) $(DB_LIBS) -lpthread

# The libraries of common/, from the bottom up. Each may use only those
# before it in this list: its objects are compiled with the include
# directories of itself and the libraries below it, and the programs
# link the archives top first, so an upward include or call fails to build.
#   base      buffers, logging, memory and strings, JSON, privileges, TAP
#   mail      mail addresses and the bounce reason vocabulary
#   conf      the configuration file
#   quarantine  the quarantine directory's size and age budget
#   store     the Berkeley DB store
#   verp      signed VERP return paths
#   classify  rule files and the classifier
#   bounce    the bounce parser: formats, recipients, JSON output
#   policy    what a classified bounce does to an address
#   backoff   adaptive back-off: Postfix log lines, per-domain levels
#   change    a bounce's changes to the store as requests (replication)
LIB_ORDER  := base mail conf quarantine store verp classify bounce policy backoff change
# lib_upto(L, LIST): the libraries of LIST from the first up to L
lib_upto    = $(firstword $(2)) $(if $(filter $(1),$(firstword $(2))),,$(call \
              lib_upto,$(1),$(wordlist 2,$(words $(2)),$(2))))
lib_reverse = $(if $(1),$(call lib_reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))
INC        := $(LIB_ORDER:%=-Icommon/%)
$(foreach l,$(LIB_ORDER),$(eval $(O)/common/$(l)/%.o: INC := \
    $(patsubst %,-Icommon/%,$(call lib_upto,$(l),$(LIB_ORDER)))))
COMMON_HDR := $(wildcard common/*/*.h)
LIB_SRC     = $(filter-out common/$(1)/test-%.c,$(wildcard common/$(1)/*.c))
LIB_ARCHIVES := $(foreach l,$(call lib_reverse,$(LIB_ORDER)),$(O)/lib/lib$(l).a)
LIBBG      := $(LIB_ARCHIVES)
COMMON_SRC := $(foreach l,$(LIB_ORDER),$(call LIB_SRC,$(l)))
TEST_SRC   := $(wildcard common/*/test-*.c)
TEST_BIN   := $(foreach t,$(TEST_SRC),$(O)/tests/$(basename $(notdir $(t))))

PROG_DIRS  := $(foreach d,admin pipe milter,$(if $(wildcard $(d)/*.c),$(d)))
PROG_admin  := bounceguard
PROG_pipe   := bounceguard-pipe
PROG_milter := bounceguard-milter
PROGS      := $(foreach d,$(PROG_DIRS),$(O)/$(PROG_$(d)))
BENCH_SRC  := $(wildcard bench/*.c)
BENCH_BIN  := $(BENCH_SRC:bench/%.c=$(O)/bench/%)

# Fuzzing: each fuzz/fuzz_T.c is linked with replay.c into the ordinary
# build (make check replays inputs through it) and with libFuzzer (clang,
# ASan, UBSan) into build/fuzz/ for "make fuzz".
FUZZ_TARGETS := bounce verp config rules lookup
FUZZ_REPLAY  := $(FUZZ_TARGETS:%=$(O)/fuzz-replay/fuzz-%)
FUZZ_MILTER  := lookup_proto runtime mstore reply
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FZ           := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer \
                -fno-sanitize-recover=undefined
FUZZ_CFLAGS   = $(DEFS) $(LIB_ORDER:%=-Icommon/%) -O1 -g $(WARN) $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
                -Ifuzz -Imilter -DFUZZ_SRCDIR='"$(CURDIR)"'
FUZZ_BIN     := $(FUZZ_TARGETS:%=$(FZ)/fuzz-%)

.PHONY: all check check-deb bench fuzz install deb deps demo clean distclean test-deps
.DELETE_ON_ERROR:

all: $(PROGS) $(TEST_BIN) $(BENCH_BIN) $(FUZZ_REPLAY)

config.mk: configure.ac config.mk.in
	@sh build-aux/deps.sh --if-missing || true
	autoreconf -fi
	./configure --quiet

$(O)/%.o: %.c $(COMMON_HDR) config.mk
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

define lib_rule
$(O)/lib/lib$(1).a: $(patsubst %.c,$(O)/%.o,$(call LIB_SRC,$(1)))
	@mkdir -p $$(@D)
	@rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach l,$(LIB_ORDER),$(eval $(call lib_rule,$(l))))

define prog_rule
$(O)/$(PROG_$(1)): $(patsubst %.c,$(O)/%.o,$(wildcard $(1)/*.c)) $(LIBBG)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LIBS) $(if $(filter milter,$(1)),$$(MILTER_LIBS))
endef
$(foreach d,$(PROG_DIRS),$(eval $(call prog_rule,$(d))))

# A unit test sees the include directories of its own library and
# those below it, like the library's own modules.
define test_rule
$(O)/tests/$(basename $(notdir $(1))): INC := $(patsubst %,-Icommon/%,$(call \
    lib_upto,$(word 2,$(subst /, ,$(1))),$(LIB_ORDER)))
$(O)/tests/$(basename $(notdir $(1))): $(1) common/base/tap.h $(LIBBG)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) $$(ALL_LDFLAGS) -o $$@ $$< $$(LIBBG) $$(LIBS)
endef
$(foreach t,$(TEST_SRC),$(eval $(call test_rule,$(t))))

$(O)/bench/%: bench/%.c $(LIBBG)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBBG) $(LIBS) $(MILTER_LIBS)

$(O)/fuzz-replay/fuzz-%: fuzz/fuzz_%.c fuzz/replay.c fuzz/fuzz_util.c fuzz/fuzz.h \
    $(LIBBG) $(FUZZ_MILTER:%=$(O)/milter/%.o)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ifuzz -Imilter -DFUZZ_SRCDIR='"$(CURDIR)"' \
	  $(ALL_LDFLAGS) -o $@ $(filter %.c,$^) \
	  $(if $(filter lookup,$*),$(FUZZ_MILTER:%=$(O)/milter/%.o)) $(LIBBG) $(LIBS)

$(FZ)/obj/%.o: %.c $(COMMON_HDR) fuzz/fuzz.h milter/milter.h config.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FZ)/libbg.a: $(COMMON_SRC:%.c=$(FZ)/obj/%.o)
	@rm -f $@
	ar rcs $@ $^

$(FZ)/fuzz-%: $(FZ)/obj/fuzz/fuzz_%.o $(FZ)/obj/fuzz/fuzz_util.o $(FZ)/libbg.a \
    $(FUZZ_MILTER:%=$(FZ)/obj/milter/%.o)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $(filter-out %.a,$(filter \
	  $(FZ)/obj/fuzz/%,$^)) $(if $(filter lookup,$*),$(FUZZ_MILTER:%=$(FZ)/obj/milter/%.o)) \
	  $(FZ)/libbg.a $(LIBS)

.SECONDARY: $(FUZZ_TARGETS:%=$(FZ)/obj/fuzz/fuzz_%.o) $(FZ)/obj/fuzz/fuzz_util.o \
    $(FUZZ_MILTER:%=$(FZ)/obj/milter/%.o)

# Build the harnesses, then run each for FUZZ_SECONDS (fuzz/run.sh).
fuzz: $(FUZZ_BIN)
	@sh fuzz/run.sh $(FZ) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

test-deps:
	@sh build-aux/deps.sh --if-missing --test || \
	  echo "check: some test dependencies are missing; tests that need them will skip"

# Every test is an executable printing TAP: compiled unit tests and scripts.
# --failures: a failing check's line shows in the summary (CI keeps no more).
check: test-deps all
	@BG_BUILD=$(CURDIR)/$(O) BG_SRC=$(CURDIR) prove --failures -e '' $(TEST_BIN) \
	  $(sort $(wildcard tests/*.t)) && echo "check: PASS (all tests passed)" || \
	  { echo "check: FAIL (see the failed tests above)"; exit 1; }

bench: all
	@BG_BUILD=$(CURDIR)/$(O) BG_SRC=$(CURDIR) sh bench/run

demo: all
	@BG_BUILD=$(CURDIR)/$(O) BG_SRC=$(CURDIR) sh tests/demo.sh

deps:
	@sh build-aux/deps.sh --test

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) \
	  $(DESTDIR)$(DATADIR)/rules $(DESTDIR)$(SYSCONFDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/rules.d $(DESTDIR)$(STATEDIR) \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	$(if $(filter admin,$(PROG_DIRS)),install -m 755 $(O)/bounceguard $(DESTDIR)$(SBINDIR)/)
	$(if $(filter milter,$(PROG_DIRS)),install -m 755 $(O)/bounceguard-milter $(DESTDIR)$(SBINDIR)/)
	$(if $(filter pipe,$(PROG_DIRS)),install -m 755 $(O)/bounceguard-pipe $(DESTDIR)$(LIBEXECDIR)/)
	$(if $(wildcard rules/*.rules),install -m 644 rules/*.rules $(DESTDIR)$(DATADIR)/rules/)
	@for m in man/*.[58]; do \
	  sed -e 's|/usr/local/share/bounceguard|$(DATADIR)|g' \
	      -e 's|/usr/local/libexec/bounceguard|$(LIBEXECDIR)|g' \
	      -e 's|/usr/local/sbin|$(SBINDIR)|g' $$m \
	      > $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/} && \
	  chmod 644 $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/} || exit 1; \
	done; echo "install: man pages in $(DESTDIR)$(MANDIR), with the installed paths"
	@if test -e $(DESTDIR)$(SYSCONFDIR)/bounceguard.conf; then \
	  echo "install: $(DESTDIR)$(SYSCONFDIR)/bounceguard.conf exists, left unchanged"; \
	else \
	  sed -e 's|/usr/local/share/bounceguard|$(DATADIR)|g' \
	      -e 's|/etc/bounceguard|$(SYSCONFDIR)|g' \
	      -e 's|/var/lib/bounceguard|$(STATEDIR)|g' contrib/bounceguard.conf \
	      > $(DESTDIR)$(SYSCONFDIR)/bounceguard.conf && \
	  chmod 644 $(DESTDIR)$(SYSCONFDIR)/bounceguard.conf && \
	  echo "install: created $(DESTDIR)$(SYSCONFDIR)/bounceguard.conf"; \
	fi
	@sh build-aux/make-secret.sh $(DESTDIR)$(SYSCONFDIR)/verp.secret $(BG_GROUP)
	$(if $(SYSTEMDUNITDIR),@install -d $(DESTDIR)$(SYSTEMDUNITDIR) && \
	  for u in contrib/systemd/*.service contrib/systemd/*.timer; do \
	    sed -e 's|/usr/\(local/\)\?sbin/|$(SBINDIR)/|g' \
	        -e 's|/etc/bounceguard|$(SYSCONFDIR)|g' $$u \
	        > $(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/} && \
	    chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/} || exit 1; \
	  done; echo "install: systemd units in $(DESTDIR)$(SYSTEMDUNITDIR)")

# The Debian package, built by build-aux/mkdeb.sh from a copy of the tree
# so that neither build/ nor the parent directory gets its by-products.
deb: config.mk
	@sh build-aux/mkdeb.sh $(VERSION)

check-deb:
	@BG_SRC=$(CURDIR) prove -v -e '' tests/machine/deb.t

clean:
	rm -rf build

distclean: clean
	rm -rf config.mk config.log config.status configure autom4te.cache build-aux/install-sh \
	  build-aux/config.guess build-aux/config.sub build-aux/missing build-aux/compile aclocal.m4
