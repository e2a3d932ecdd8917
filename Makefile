# Makefile for the face extension (PGXS).
#
#   make                 build face.so and face-cli
#   make models          fetch the pinned face-api package and convert its weights
#   make install         install the extension (and converted models, if built)
#   make test            run every test on a private, temporary cluster (test/run.sh)
#   make installcheck    pg_regress against a server you started yourself

EXTENSION   = face
EXTVERSION  = 0.1.0
MODULE_big  = face

# Every C file under src/ except the command-line front ends belongs to face.so.
CORE_SRCS   = $(sort $(wildcard src/core/*.c))
PG_SRCS     = $(sort $(wildcard src/*.c src/index/*.c))
OBJS        = $(PG_SRCS:.c=.o) $(CORE_SRCS:.c=.o)

# The install script is assembled from one fragment per subsystem, in name order.
SQL_PARTS   = $(sort $(wildcard src/sql/*.sql))
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql

REGRESS     = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

BLAS_DIR   ?= /usr/lib/x86_64-linux-gnu/openblas-serial
PG_CPPFLAGS = -I$(srcdir)/src -I$(srcdir)/src/core $(shell pkg-config --cflags libpng libjpeg 2>/dev/null)
PG_CFLAGS   = $(PG_CFLAGS_EXTRA) -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
# Serial OpenBLAS: a backend must never own BLAS worker threads (see README, "Threads").
SHLIB_LINK  = -L$(BLAS_DIR) -Wl,-rpath,$(BLAS_DIR) -lopenblas $(shell pkg-config --libs libpng libjpeg 2>/dev/null || echo -lpng16 -ljpeg) -lm

# face-cli: the core library without PostgreSQL, for testing and profiling.
CLI_SRCS    = $(sort $(wildcard src/cli/*.c))
CLI_OBJS    = $(CLI_SRCS:.c=.o)
CORE_CFLAGS = -O2 -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -I$(srcdir)/src/core -I$(srcdir)/src
CORE_LIBS   = -L$(BLAS_DIR) -Wl,-rpath,$(BLAS_DIR) -lopenblas $(shell pkg-config --libs libpng libjpeg 2>/dev/null || echo -lpng16 -ljpeg) -lm

EXTRA_CLEAN = face-cli $(CLI_OBJS) $(basename $(wildcard test/unit/test_*.c))

PG_CONFIG  ?= pg_config
PGXS       := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(DATA_built): $(SQL_PARTS) face.control
	cat $(SQL_PARTS) > $@

all: $(if $(CLI_SRCS),face-cli)

face-cli: $(CLI_SRCS) $(CORE_SRCS)
	$(CC) $(CORE_CFLAGS) -o $@ $(CLI_SRCS) $(CORE_SRCS) $(CORE_LIBS)

# Model weights: fetched and converted at build time, never committed.
.PHONY: models test
models:
	$(MAKE) -C models

test:
	bash test/run.sh

# C unit tests of the core (test/run.sh builds and runs each one).
test/unit/test_%: test/unit/test_%.c $(CORE_SRCS)
	$(CC) $(CORE_CFLAGS) -o $@ $< $(CORE_SRCS) $(CORE_LIBS)
