# rnnc: a compiler for small recurrent neural networks.
#   make            build ./rnnc (probes for libtcc and libffi first)
#   make deps       install the Debian packages rnnc needs (as root), else say which
#   make test       every test (installs missing packages when run as root)
#   make asan       build with AddressSanitizer + UBSan and run the tests with it
#   make demo       train on the built-in corpus for about a minute, then sample
#   make golden     regenerate the golden files in tests/golden/ from the current generator
#   make install    install rnnc and its manual page under $(DESTDIR)$(PREFIX) (default /usr/local);
#                   make uninstall removes both
#   make MPI=1      link Open MPI for `mpirun -np N rnnc train` (the default when mpicc is found;
#                   MPI=0 builds without); make bench-mpi times it on 1 and 2 ranks
#   make fuzz       build the libFuzzer targets (tests/fuzz/) and run each for FUZZ_SECONDS (60)

CC ?= cc
WARN = -Wall -Wextra -pedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wpointer-arith -Wcast-qual -Wwrite-strings -Wformat=2 -Wvla -Wundef
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(shell pkg-config --cflags libffi 2>/dev/null)
LDLIBS = -ltcc $(shell pkg-config --libs libffi 2>/dev/null || echo -lffi) -ljansson -lz -ldl -lpthread -lm $(MPI_LIBS)
BUILD ?= out/obj
SAN =

# Data-parallel training on MPI (issue 12; Debian: openmpi-bin libopenmpi-dev).  Only
# runtime/model/dist.c includes <mpi.h>; it is compiled with RNNC_MPI=1 and mpicc's flags (its
# headers as system headers, outside rnnc's warnings), and rnnc links libmpi.  MPI=0, or no
# mpicc, builds the one-process version of dist.c and links nothing more.
MPI ?= $(if $(shell command -v mpicc 2>/dev/null),1,0)
ifeq ($(MPI),1)
MPI_CFLAGS := -DRNNC_MPI=1 $(patsubst -I%,-isystem %,$(shell mpicc --showme:compile 2>/dev/null || pkg-config --cflags mpi-c 2>/dev/null))
MPI_LIBS := $(shell mpicc --showme:link 2>/dev/null || pkg-config --libs mpi-c 2>/dev/null)
endif

# The Debian packages rnnc builds and tests with.
DEB_BUILD = tcc libtcc-dev libffi-dev zlib1g-dev libjansson-dev pkg-config
DEB_TEST = clang g++ libclang-rt-14-dev

BASE_SRC = runtime/base/util.c runtime/base/rng.c runtime/base/buf.c runtime/base/text.c
GEN_SRC = gen/variants.c gen/spec.c gen/emit.c gen/plan.c gen/gen.c gen/equations.c
JIT_SRC = runtime/jit/jit.c runtime/jit/tcc.c runtime/jit/cc.c
MODEL_SRC = runtime/model/model.c runtime/model/pool.c runtime/model/dist.c
FORMATS_SRC = runtime/formats/ckpt.c runtime/formats/safetensors.c runtime/formats/interop.c \
              runtime/formats/data.c runtime/formats/dataset.c
COMMANDS_SRC = runtime/commands/check.c runtime/commands/sample.c runtime/commands/train.c \
               runtime/commands/batch.c runtime/commands/shards.c runtime/commands/eval.c \
               runtime/commands/plot.c runtime/commands/progress.c runtime/commands/help.c \
               runtime/commands/diff.c runtime/commands/problem.c \
               runtime/commands/dump.c runtime/commands/hand_header.c runtime/commands/bench.c \
               runtime/commands/cli.c
RT_SRC = $(JIT_SRC) $(MODEL_SRC) $(FORMATS_SRC) $(COMMANDS_SRC)
OBJ = $(patsubst %.c,$(BUILD)/%.o,$(BASE_SRC) $(GEN_SRC) $(RT_SRC)) $(BUILD)/templates.o $(BUILD)/corpus.o
TEMPLATES = templates/rnn.h templates/rnn_abi.h templates/rnn.c templates/rnn_update.c templates/rnn_segment.c \
            templates/rnnc_hand.h \
            templates/rnn_kernels.c templates/rnn_gated_kernels.c templates/rnn_gated.c templates/rnn_math.c \
            templates/embed.h templates/embed.c

.PHONY: all deps probe test asan tsan golden clean tests-bin demo examples examples-figures bench \
        bench-peers bench-mpi bench-split bench-profile man install uninstall fuzz fuzz-bin FORCE
all: rnnc

# Probe for the libraries; say which package provides what is missing.
probe:
	@missing=""; \
	echo '#include <libtcc.h>' | $(CC) -E -x c - >/dev/null 2>&1 || missing="$$missing libtcc-dev tcc"; \
	echo '#include <ffi.h>' | $(CC) -E $$(pkg-config --cflags libffi 2>/dev/null) -x c - >/dev/null 2>&1 \
	    || missing="$$missing libffi-dev"; \
	echo '#include <zlib.h>' | $(CC) -E -x c - >/dev/null 2>&1 || missing="$$missing zlib1g-dev"; \
	echo '#include <jansson.h>' | $(CC) -E -x c - >/dev/null 2>&1 || missing="$$missing libjansson-dev"; \
	command -v pkg-config >/dev/null 2>&1 || missing="$$missing pkg-config"; \
	if [ -n "$$missing" ]; then \
	    echo "rnnc: missing Debian packages:$$missing (run 'make deps' as root, or apt-get install$$missing)" >&2; \
	    exit 1; \
	fi

# Install what is missing (as root); a no-op when everything is there.
deps:
	@need=""; for p in $(DEB_BUILD) $(DEB_TEST); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || need="$$need $$p"; \
	done; \
	if [ -z "$$need" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	    echo "rnnc: missing Debian packages:$$need; run 'sudo make deps' or apt-get install$$need" >&2; exit 1; \
	fi; \
	echo "rnnc: installing$$need"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$need >/dev/null

rnnc: $(OBJ) $(BUILD)/mpi.flags
	$(CC) $(SAN) $(CFLAGS) -o $@ $(OBJ) $(LDLIBS)

$(BUILD)/%.o: %.c | probe
	@mkdir -p $(dir $@)
	$(CC) $(SAN) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# The MPI setting of the last build: rewritten only when it changes, so that switching MPI
# rebuilds dist.o and relinks.
$(BUILD)/mpi.flags: FORCE
	@mkdir -p $(dir $@)
	@echo 'MPI=$(MPI) $(MPI_CFLAGS) $(MPI_LIBS)' | cmp -s - $@ || echo 'MPI=$(MPI) $(MPI_CFLAGS) $(MPI_LIBS)' > $@
$(BUILD)/runtime/model/dist.o: ALL_CFLAGS += $(MPI_CFLAGS)
$(BUILD)/runtime/model/dist.o: $(BUILD)/mpi.flags

# Templates are compiled into the binary: the installed tool needs no source tree.
$(BUILD)/tmpl2c: gen/tmpl2c.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O1 -o $@ $<
$(BUILD)/templates.c: $(TEMPLATES) $(BUILD)/tmpl2c Makefile
	$(BUILD)/tmpl2c rnnc_template $(TEMPLATES) > $@.tmp && mv $@.tmp $@
$(BUILD)/templates.o: $(BUILD)/templates.c
	$(CC) $(SAN) -std=c11 $(CFLAGS) -c $< -o $@

# The built-in training corpus: the project's own sources (the demo learns to write rnnc).
CORPUS_FILES = README.md $(sort $(wildcard gen/*.c gen/*.h runtime/*/*.c runtime/*/*.h)) $(TEMPLATES)
$(BUILD)/corpus.txt: $(CORPUS_FILES)
	@mkdir -p $(dir $@)
	cat $(CORPUS_FILES) > $@
$(BUILD)/corpus.c: $(BUILD)/corpus.txt $(BUILD)/tmpl2c
	$(BUILD)/tmpl2c rnnc_corpus $(BUILD)/corpus.txt > $@.tmp && mv $@.tmp $@
$(BUILD)/corpus.o: $(BUILD)/corpus.c
	$(CC) $(SAN) -std=c11 $(CFLAGS) -c $< -o $@

-include $(OBJ:.o=.d)

# The manual page, from the binary's own usage text (rnnc --help) and the prose of
# runtime/commands/rnnc.1.in (see runtime/commands/man.sh: one source for help and manual).
man: $(BUILD)/rnnc.1
$(BUILD)/rnnc.1: rnnc runtime/commands/man.sh runtime/commands/rnnc.1.in
	@mkdir -p $(dir $@)
	runtime/commands/man.sh ./rnnc runtime/commands/rnnc.1.in > $@.tmp && mv $@.tmp $@

# Installation: the binary (the templates and the demo corpus are compiled into it, so it needs
# nothing else of the tree) and the manual page.  DESTDIR stages it (packaging, tests).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
install: rnnc $(BUILD)/rnnc.1
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 rnnc $(DESTDIR)$(BINDIR)/rnnc
	install -m 644 $(BUILD)/rnnc.1 $(DESTDIR)$(MANDIR)/man1/rnnc.1
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/rnnc $(DESTDIR)$(MANDIR)/man1/rnnc.1

test: deps
	@$(MAKE) --no-print-directory rnnc tests-bin
	@TEST_BIN=$(CURDIR)/$(BUILD)/tests tests/run.sh ./rnnc

asan:
	@$(MAKE) --no-print-directory BUILD=out/asan SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    CFLAGS="-O1 -g" rnnc-asan tests-bin
	@ASAN_OPTIONS=detect_leaks=1 TEST_BIN=$(CURDIR)/out/asan/tests tests/run.sh ./rnnc-asan

# The thread team under ThreadSanitizer (not part of `make test`: about 2 minutes; the
# generated code itself is compiled at run time, outside the sanitizer).
tsan:
	@$(MAKE) --no-print-directory BUILD=out/tsan SAN="-fsanitize=thread -fno-omit-frame-pointer" \
	    CFLAGS="-O1 -g" out/tsan/tests/test_threads
	@TSAN_OPTIONS=halt_on_error=1 out/tsan/tests/test_threads

rnnc-asan: $(OBJ) $(BUILD)/mpi.flags
	$(CC) $(SAN) $(CFLAGS) -o $@ $(OBJ) $(LDLIBS)

# The main job on built-in data: train a min-char-rnn sized model on the project's own
# sources for about a minute (tcc starts at once, cc takes over when compiled), then sample.
demo: deps
	@$(MAKE) --no-print-directory rnnc
	./rnnc train --steps 300000 --every 25000 --sample-every 100000 --save out/demo.ckpt --log out/demo-log.csv
	./rnnc sample out/demo.ckpt -n 600 --temperature 0.8 --seed 7
	./rnnc plot out/demo-log.csv -o out/demo-loss.svg

golden: rnnc
	@tests/golden/golden.sh regen ./rnnc

clean:
	rm -rf out/obj out/asan out/tsan out/fuzz rnnc rnnc-asan

# Test programs: every tests/unit/test_*.c (adding one is adding the file), linked with the
# independent reference, the test library and the same objects as rnnc (all but the CLI);
# and the reference's own finite-difference check, which links nothing of rnnc's.
LIB_OBJ = $(filter-out $(BUILD)/runtime/commands/cli.o,$(OBJ))
TEST_LIB = tests/ref/ref.c tests/ref/ref_gated.c tests/lib/testlib.c
TEST_PROGS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c)) \
             $(BUILD)/tests/ref_selfcheck $(BUILD)/tests/ref_selfcheck_gated
tests-bin: $(TEST_PROGS)
$(BUILD)/tests/test_%: tests/unit/test_%.c $(TEST_LIB) tests/ref/ref.h tests/ref/ref_gated.h tests/lib/testlib.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) $(ALL_CFLAGS) -o $@ $< $(TEST_LIB) $(LIB_OBJ) $(LDLIBS)
$(BUILD)/tests/ref_selfcheck: tests/ref/selfcheck.c tests/ref/ref.c tests/ref/ref.h
	@mkdir -p $(dir $@)
	$(CC) $(SAN) $(ALL_CFLAGS) -o $@ tests/ref/selfcheck.c tests/ref/ref.c -lm
$(BUILD)/tests/ref_selfcheck_gated: tests/ref/selfcheck_gated.c tests/ref/ref_gated.c tests/ref/ref_gated.h tests/ref/ref.h
	@mkdir -p $(dir $@)
	$(CC) $(SAN) $(ALL_CFLAGS) -o $@ tests/ref/selfcheck_gated.c tests/ref/ref_gated.c -lm

# The embedded-model example (examples/README.md), by examples/embed/build.sh: train a small
# model on the built-in corpus once (out/examples.ckpt, a few seconds), embed it as
# examples/embed/demo_model.[ch], build the sample program with strict C99 flags (sampling in
# double, and in float), run it and check it against `rnnc sample`; with arm-none-eabi-gcc,
# newlib and qemu-system-arm the same on a Cortex-M4 under QEMU; then check the figures that
# examples/README.md quotes against this build (make examples-figures rewrites them).
examples: rnnc
	@mkdir -p out
	examples/embed/build.sh ./rnnc out/examples.ckpt examples/embed --check examples/README.md
	@cat examples/embed/demo.txt
examples-figures: rnnc
	@mkdir -p out
	examples/embed/build.sh ./rnnc out/examples.ckpt examples/embed --update examples/README.md

# The benchmark of issue 6 (never part of `make test`): rnnc's train_step on the cc and tcc
# backends against a hand-written C step, oneDNN, PyTorch and NumPy, with the core's FMA peak and
# OpenBLAS sgemm; a few minutes.  Writes a Markdown table to stdout and out/bench.md.
# make bench-split (issue 14, part 2; not part of `make bench` either) times batch 1's per-step
# W h(t-1) and W^T d(t+1) on one thread and split over two (spin and pthread barriers).
DEB_PEERS = python3-torch python3-numpy libopenblas-dev libdnnl-dev
bench: rnnc
	@CC="$(CC)" tests/bench/run.sh ./rnnc

# The data-parallel step on MPI (issue 12; never part of `make test`): configurations C and D
# on 1 and 2 ranks (compute, exchange and update of a step), the exchanges alone for a range
# of sizes (tests/bench/mpi_comm.c), and the scaling model README's "More than one machine"
# quotes.  Needs an MPI build (MPI=1, the default when mpicc is found); a few minutes.
bench-mpi: rnnc $(BUILD)/bench/mpi_comm
	@tests/bench/mpi.sh ./rnnc $(BUILD)/bench/mpi_comm
$(BUILD)/bench/mpi_comm: tests/bench/mpi_comm.c $(BUILD)/runtime/model/dist.o $(BUILD)/runtime/base/util.o
	@mkdir -p $(dir $@)
	@if [ "$(MPI)" != 1 ]; then echo "rnnc: make bench-mpi needs an MPI build: install openmpi-bin libopenmpi-dev (Debian), or give MPI=1" >&2; exit 1; fi
	$(CC) $(SAN) $(ALL_CFLAGS) -o $@ $< $(BUILD)/runtime/model/dist.o $(BUILD)/runtime/base/util.o $(MPI_LIBS)

# Batch 1 on two cores (issue 14, part 2; never part of `make test` or `all`): the per-step
# products for hidden 100, 256, 512 on one thread and with W's rows split over two threads
# (tests/bench/batch1_split.c), then what handing a buffer from one core to the other costs
# (tests/bench/handoff.c); standalone, the flags of the cc backend; about a minute.
BENCH_SPLIT_FLAGS = -std=c11 -O3 -march=native -ffp-contract=off -fno-math-errno -fno-trapping-math -pthread
bench-split: $(BUILD)/bench/batch1_split $(BUILD)/bench/handoff
	$(BUILD)/bench/batch1_split
	$(BUILD)/bench/handoff
$(BUILD)/bench/batch1_split: tests/bench/batch1_split.c tests/bench/twocore.h templates/rnn_math.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_SPLIT_FLAGS) -o $@ tests/bench/batch1_split.c -lm
$(BUILD)/bench/handoff: tests/bench/handoff.c tests/bench/twocore.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_SPLIT_FLAGS) -o $@ tests/bench/handoff.c

# Where a batch-1 step's time goes (issue 14): perf's cpu-clock samples of rnnc bench on A and
# B by generated function (tests/bench/profile.sh; needs perf); about 10 s.
bench-profile: rnnc
	@tests/bench/profile.sh ./rnnc

# The benchmark's optional peers (as root), else say which packages to install.
bench-peers:
	@need=""; for p in $(DEB_PEERS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || need="$$need $$p"; \
	done; \
	if [ -z "$$need" ]; then echo "bench peers installed: $(DEB_PEERS)"; exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	    echo "rnnc: the benchmark's peers need Debian packages:$$need; run 'sudo make bench-peers' or apt-get install$$need" >&2; exit 1; \
	fi; \
	echo "rnnc: installing$$need"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$need >/dev/null

# libFuzzer targets, one per parser (tests/fuzz/fuzz_*.c; adding one is adding the file),
# built with clang's fuzzer runtime (Debian: libclang-rt-14-dev) under ASan + UBSan into
# out/fuzz/, linked with the same objects as rnnc (all but the CLI), built for them in
# out/fuzz/obj.  `make fuzz` runs each for FUZZ_SECONDS (default 60), FUZZ_JOBS (2) at a time,
# on seeds that rnnc itself makes (tests/fuzz/seeds.sh) and the corpus in out/fuzz/corpus/
# (kept between runs); tests/suites/fuzz.sh runs a short round of it in `make test`.  The
# targets are one process: built without MPI (MPI=0), whatever rnnc itself is built with.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 2
FUZZ_TARGETS = $(patsubst tests/fuzz/%.c,out/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
fuzz-bin:
	@$(MAKE) --no-print-directory BUILD=out/fuzz/obj CC=$(FUZZ_CC) CFLAGS="-O1 -g" MPI=0 \
	    SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    $(FUZZ_TARGETS)
out/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -fno-omit-frame-pointer -o $@ $< $(LIB_OBJ) $(LDLIBS)
fuzz: rnnc fuzz-bin
	@tests/fuzz/run.sh --seconds $(FUZZ_SECONDS) --jobs $(FUZZ_JOBS) --corpus out/fuzz/corpus ./rnnc
