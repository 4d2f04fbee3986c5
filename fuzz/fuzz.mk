# fuzz/fuzz.mk — the libFuzzer targets (GNU make). Run through `make fuzz`,
# which passes what configure found:
#
#   CLANG          the compiler (libFuzzer exists only in clang)
#   top_srcdir     the source tree (the build goes to ./fuzz/build)
#   LIBKA_SOURCES  libka_a_SOURCES: the service's code, main() excepted
#   KA_DEFS        configure's -D flags (PACKAGE_VERSION...)
#   KA_CFLAGS      the libraries' -I flags (pkg-config)
#   KA_LIBS        the libraries
#
# Everything is compiled again with clang and the fuzzer's instrumentation:
# the gcc objects of `make` know nothing of coverage or ASan. Nothing here
# is part of `make all`, `make check` or `make distcheck`.

CLANG ?= clang
top_srcdir ?= .

B := fuzz/build
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fno-omit-frame-pointer $(SANITIZE) \
	-Wall -Wextra -Wno-unused-parameter -Wmissing-prototypes -Wstrict-prototypes -Wcast-qual \
	-D_GNU_SOURCE -DLDAP_DEPRECATED=0 \
	$(KA_DEFS) -I$(top_srcdir)/src $(KA_CFLAGS)

LIB_SRCS := $(filter %.c,$(LIBKA_SOURCES))
LIB_OBJS := $(patsubst src/%.c,$(B)/obj/%.o,$(LIB_SRCS))
TARGETS := $(patsubst $(top_srcdir)/fuzz/targets/%.c,%,\
	$(wildcard $(top_srcdir)/fuzz/targets/fuzz_*.c))
BINS := $(addprefix $(B)/,$(TARGETS))

all: $(BINS)

# A clang without its runtime (libclang-rt-14-dev) compiles, then fails to
# link: say so once, before anything else is built.
$(B)/.toolchain-ok:
	@mkdir -p $(B)
	@printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ return d == 0 && n > 0; }\n' >$(B)/probe.c
	@if ! $(CLANG) $(SANITIZE) -fsanitize=fuzzer -o $(B)/probe $(B)/probe.c >$(B)/probe.log 2>&1; then \
		cat $(B)/probe.log >&2; \
		echo "make fuzz: $(CLANG) cannot link a libFuzzer target: install the Debian packages clang and libclang-rt-14-dev" >&2; \
		exit 1; \
	fi
	@rm -f $(B)/probe $(B)/probe.c $(B)/probe.log
	@touch $@

$(B)/obj/%.o: $(top_srcdir)/src/%.c $(wildcard $(top_srcdir)/src/*.h) $(B)/.toolchain-ok
	@mkdir -p $(dir $@)
	@echo "  CLANG    $@"
	@$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(B)/libka-fuzz.a: $(LIB_OBJS)
	@rm -f $@
	@ar crs $@ $^

$(B)/%: $(top_srcdir)/fuzz/targets/%.c $(top_srcdir)/fuzz/targets/fuzz.h \
    $(wildcard $(top_srcdir)/src/*.h) $(B)/libka-fuzz.a
	@echo "  FUZZ     $@"
	@$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(B)/libka-fuzz.a $(KA_LIBS)

.PHONY: all
.SECONDARY:
