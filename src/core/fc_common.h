/*-------------------------------------------------------------------------
 *
 * fc_common.h
 *	  What every part of the face core library shares: status codes, the
 *	  error record, the injected allocator and the cancellation hook.
 *
 * The core never includes postgres.h, never prints, never exits.  Every
 * fallible function returns an fc_status and, on failure, fills an
 * fc_error with a one-line lowercase message; the PostgreSQL glue maps
 * status -> SQLSTATE and message -> errmsg/errdetail.
 *
 * Memory: everything the core allocates goes through an fc_allocator so the
 * backend can hand it a memory context (freed wholesale on error) and the
 * CLI/fuzzers can hand it malloc.  Long computations poll fc_hooks.interrupted
 * between layers and stop with FC_ERR_CANCELLED; the glue then runs
 * CHECK_FOR_INTERRUPTS() itself, so no longjmp ever crosses core code.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_COMMON_H
#define FC_COMMON_H

#include <stddef.h>
#include <stdint.h>

typedef enum fc_status
{
	FC_OK = 0,
	FC_ERR_INVALID_ARGUMENT,	/* caller's parameters are out of range */
	FC_ERR_NOT_AN_IMAGE,		/* bytes are not a format we recognise */
	FC_ERR_UNSUPPORTED_FORMAT,	/* a known image format we do not decode (WebP, GIF, ...) */
	FC_ERR_CORRUPT_IMAGE,		/* JPEG/PNG data is truncated or corrupt */
	FC_ERR_IMAGE_TOO_LARGE,		/* dimensions exceed the configured limit */
	FC_ERR_DECODE_MEMORY,		/* decoding needs more memory than the configured limit */
	FC_ERR_DECODE_LIMIT,		/* the file exceeds a fixed decoder cap (scans, chunks) */
	FC_ERR_MODEL,				/* weights file missing, corrupt or of the wrong shape */
	FC_ERR_NOMEM,				/* allocator returned NULL */
	FC_ERR_CANCELLED,			/* fc_hooks.interrupted() said stop */
	FC_ERR_INTERNAL				/* a can't-happen condition */
} fc_status;

#define FC_ERROR_MSG_LEN 256

typedef struct fc_error
{
	fc_status	status;
	char		message[FC_ERROR_MSG_LEN];	/* lowercase, no trailing period */
} fc_error;

/* Record status and a printf-style message in err (err may be NULL); returns status. */
fc_status	fc_fail(fc_error *err, fc_status status, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

typedef struct fc_allocator
{
	void	   *(*alloc) (void *ctx, size_t size);	/* NULL on failure */
	void		(*free) (void *ctx, void *ptr);		/* may be a no-op (memory contexts) */
	void	   *ctx;
} fc_allocator;

/* malloc/free; what the CLI, unit tests and fuzzers use. */
extern const fc_allocator fc_malloc_allocator;

typedef struct fc_hooks
{
	const fc_allocator *allocator;
	/* Polled between layers and stages; nonzero means stop. May be NULL. */
	int			(*interrupted) (void *ctx);
	void	   *interrupt_ctx;
} fc_hooks;

/* hooks' allocator, or fc_malloc_allocator when hooks or its allocator is NULL. */
const fc_allocator *fc_allocator_of(const fc_hooks *hooks);

/*
 * The one cancellation check: FC_ERR_CANCELLED with "<what> canceled" if
 * hooks says stop, else FC_OK (hooks or its callback may be NULL).
 */
fc_status	fc_poll(const fc_hooks *hooks, const char *what, fc_error *err);

#endif							/* FC_COMMON_H */
