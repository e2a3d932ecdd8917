# Makefile for the face extension (PGXS).
#
#   make                 build face.so and face-cli
#   make models          fetch the pinned face-api package and convert its weights
#   make install         install the extension (and converted models, if built)
#   make test            run every test on a private, temporary cluster (test/run.sh)
#   make installcheck    pg_regress against a server you started yourself

EXTENSION   = face
EXTVERSION  = 0.2.0
MODULE_big  = face

# src/core/ is the plain C library (no PostgreSQL headers), one folder per job;
# the other folders of src/ are the PostgreSQL glue, one folder per capability
# (README.md, "Architecture").  face-cli (src/cli) is a front end of the core only.
CORE_DIRS   = src/core src/core/image src/core/nn src/core/face src/core/vec src/core/learn
GLUE_DIRS   = src src/type src/embed src/index src/learn
CORE_SRCS   = $(sort $(foreach d,$(CORE_DIRS),$(wildcard $(d)/*.c)))
PG_SRCS     = $(sort $(foreach d,$(GLUE_DIRS),$(wildcard $(d)/*.c)))
OBJS        = $(PG_SRCS:.c=.o) $(CORE_SRCS:.c=.o)

# The install script is assembled from one fragment per subsystem, in name order;
# so is the upgrade script from the previous release, from its own folder (each change
# of the install SQL adds its piece to both, src/sql/README.md).  Released install
# scripts are frozen in src/sql/history/ exactly as they shipped.
SQL_PARTS   = $(sort $(wildcard src/sql/*.sql))
UPGRADE_FROM = 0.1.0
# Pieces new since UPGRADE_FROM go into the upgrade script as they are, after the
# pieces that change what UPGRADE_FROM had (so no piece is kept twice).
UPGRADE_NEW = 40_shard 50_learn 60_cluster
UPGRADE_PARTS = $(sort $(wildcard src/sql/upgrade-$(UPGRADE_FROM)--$(EXTVERSION)/*.sql)) \
	$(UPGRADE_NEW:%=src/sql/%.sql)
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql $(EXTENSION)--$(UPGRADE_FROM)--$(EXTVERSION).sql
DATA        = $(wildcard src/sql/history/$(EXTENSION)--*.sql)

REGRESS     = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

BLAS_DIR   ?= /usr/lib/x86_64-linux-gnu/openblas-serial
PG_CPPFLAGS = -I$(srcdir)/src $(shell pkg-config --cflags libpng libjpeg 2>/dev/null)
# -O3 (after PostgreSQL's -O2, so it wins): GCC 12 vectorises the networks' channel
# loops (depthwise convolution, bias, ReLU6) only at -O3; at -O2 the SSD detector
# runs 1.7x slower (test/bench/README.md).  No -march: kernels that want AVX2/AVX-512
# pick them at run time.
PG_CFLAGS   = -O3 $(PG_CFLAGS_EXTRA) -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
# Serial OpenBLAS: a backend must never own BLAS worker threads (README.md, "Limits").
SHLIB_LINK  = -L$(BLAS_DIR) -Wl,-rpath,$(BLAS_DIR) -lopenblas $(shell pkg-config --libs libpng libjpeg 2>/dev/null || echo -lpng16 -ljpeg) -lm

# face-cli: the core library without PostgreSQL, for testing and profiling.
CLI_SRCS    = $(sort $(wildcard src/cli/*.c))
CLI_OBJS    = $(CLI_SRCS:.c=.o)
CORE_CFLAGS = -O3 -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -I$(srcdir)/src
CORE_LIBS   = -L$(BLAS_DIR) -Wl,-rpath,$(BLAS_DIR) -lopenblas $(shell pkg-config --libs libpng libjpeg 2>/dev/null || echo -lpng16 -ljpeg) -lm

EXTRA_CLEAN = test/hostile/gen_hostile face-cli $(CLI_OBJS) $(basename $(wildcard test/unit/test_*.c)) $(basename $(wildcard test/bench/bench_*.c)) test/bench/nn_bench

PG_CONFIG  ?= pg_config
PGXS       := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies (unless PostgreSQL was configured with
# --enable-depend): without this, a changed struct in a header leaves stale
# objects that disagree about its layout.  Coarse but safe: any header change
# rebuilds every object.
HEADERS     = $(foreach d,$(CORE_DIRS) $(GLUE_DIRS) src/cli,$(wildcard $(d)/*.h))
$(OBJS): $(HEADERS)

# The folders too: removing a piece changes the folder, not any remaining piece.
$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS) src/sql face.control
	cat $(SQL_PARTS) > $@

$(EXTENSION)--$(UPGRADE_FROM)--$(EXTVERSION).sql: $(UPGRADE_PARTS) src/sql/upgrade-$(UPGRADE_FROM)--$(EXTVERSION)
	cat $(UPGRADE_PARTS) > $@

all: $(if $(CLI_SRCS),face-cli)

face-cli: $(CLI_SRCS) $(CORE_SRCS) $(HEADERS)
	$(CC) $(CORE_CFLAGS) -o $@ $(CLI_SRCS) $(CORE_SRCS) $(CORE_LIBS)

# Model weights: fetched and converted by "make models" (models/Makefile), never
# committed.  "make install" copies whatever has been converted into the extension's
# share directory, where the backend looks by default (see models/README.md), plus the
# package's demo photos, which the tests read; without converted models it only says so.
MODELS_DIR  = $(datadir)/extension/face

.PHONY: models test install-models uninstall-models
# After conversion, face-cli writes altered copies of the sample photos
# (re-encoded, half size, shifted, EXIF-rotated) for the invariance tests.
models: face-cli
	$(MAKE) -C models
	./face-cli --variants models/samples models/samples/sample?.jpg

install: install-models
uninstall: uninstall-models

install-models:
	@if ls models/*.fwt >/dev/null 2>&1; then \
		$(MKDIR_P) '$(DESTDIR)$(MODELS_DIR)' && \
		$(INSTALL_DATA) models/*.fwt '$(DESTDIR)$(MODELS_DIR)/' && \
		if ls models/samples/*.jpg >/dev/null 2>&1; then \
			$(MKDIR_P) '$(DESTDIR)$(MODELS_DIR)/samples' && \
			$(INSTALL_DATA) models/samples/*.jpg $(wildcard models/samples/*.png) '$(DESTDIR)$(MODELS_DIR)/samples/'; \
		fi && \
		echo "installed models into $(DESTDIR)$(MODELS_DIR)"; \
	else \
		echo "models not converted, none installed: run \"make models\" first (embed() needs them)"; \
	fi

uninstall-models:
	rm -rf '$(DESTDIR)$(MODELS_DIR)'

test:
	bash test/run.sh

# C unit tests of the core (test/run.sh builds and runs each one).
test/unit/test_%: test/unit/test_%.c $(CORE_SRCS) $(HEADERS) $(wildcard test/unit/*.h)
	$(CC) $(CORE_CFLAGS) -o $@ $< $(CORE_SRCS) $(CORE_LIBS)

# The hostile photo generator of test/tap/009_hostile_photos.pl and test/soak (zlib, libjpeg).
test/hostile/gen_hostile: test/hostile/gen_hostile.c
	$(CC) -O2 -g -Wall -Wextra -o $@ $< $(shell pkg-config --libs libjpeg 2>/dev/null || echo -ljpeg) -lz

# The weights writer belongs to the converter (models/), not to face.so; its test links it.
test/unit/test_weights: test/unit/test_weights.c models/weights_write.c models/weights_write.h $(CORE_SRCS) $(HEADERS)
	$(CC) $(CORE_CFLAGS) -I$(srcdir)/models -o $@ $< models/weights_write.c $(CORE_SRCS) $(CORE_LIBS)

# C benchmarks of the core (test/bench/README.md, "Face pipeline"): per-network
# speed against the core's sgemm peak (nn_bench), the detector on photos (bench_detector).
test/bench/nn_bench: test/bench/nn_bench.c $(CORE_SRCS)
	$(CC) $(CORE_CFLAGS) -o $@ $< $(CORE_SRCS) $(CORE_LIBS)

test/bench/bench_%: test/bench/bench_%.c $(CORE_SRCS) $(HEADERS)
	$(CC) $(CORE_CFLAGS) -o $@ $< $(CORE_SRCS) $(CORE_LIBS)

# The core library (no PostgreSQL code) is compiled with the compiler's usual
# assumptions: PostgreSQL's -fno-strict-aliasing and -fwrapv, needed by the server's
# own code, keep GCC from vectorising the core's float loops.
$(CORE_SRCS:.c=.o): CFLAGS += -fstrict-aliasing -fno-wrapv
