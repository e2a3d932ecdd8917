/*-------------------------------------------------------------------------
 *
 * fc_common.c
 *	  Error recording, the malloc allocator and the cancellation check of
 *	  the face core.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fc_common.h"

fc_status
fc_fail(fc_error *err, fc_status status, const char *fmt,...)
{
	if (err != NULL)
	{
		va_list		ap;

		err->status = status;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return status;
}

static void *
malloc_alloc(void *ctx, size_t size)
{
	return malloc(size);
}

static void
malloc_free(void *ctx, void *ptr)
{
	free(ptr);
}

const fc_allocator fc_malloc_allocator = {malloc_alloc, malloc_free, NULL};

const fc_allocator *
fc_allocator_of(const fc_hooks *hooks)
{
	return (hooks != NULL && hooks->allocator != NULL) ? hooks->allocator : &fc_malloc_allocator;
}

fc_status
fc_poll(const fc_hooks *hooks, const char *what, fc_error *err)
{
	if (hooks != NULL && hooks->interrupted != NULL &&
		hooks->interrupted(hooks->interrupt_ctx))
		return fc_fail(err, FC_ERR_CANCELLED, "%s canceled", what);
	return FC_OK;
}
