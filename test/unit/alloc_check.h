/*-------------------------------------------------------------------------
 *
 * alloc_check.h
 *	  A test allocator that counts live blocks and can be told to fail the
 *	  n-th allocation, for checking that init paths report FC_ERR_NOMEM
 *	  and leak nothing.  Header-only: each unit test is its own program.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_ALLOC_CHECK_H
#define FC_ALLOC_CHECK_H

#include <stdlib.h>

#include "fc_common.h"

typedef struct alloc_check
{
	int			live;			/* blocks allocated and not yet freed */
	int			fail_at;		/* fail the allocation with this index; -1 never */
	int			calls;			/* allocations attempted so far */
} alloc_check;

static void *
alloc_check_alloc(void *ctx, size_t size)
{
	alloc_check *ac = ctx;

	if (ac->calls++ == ac->fail_at)
		return NULL;
	ac->live++;
	return malloc(size);
}

static void
alloc_check_free(void *ctx, void *ptr)
{
	alloc_check *ac = ctx;

	if (ptr != NULL)
		ac->live--;
	free(ptr);
}

/* An allocator over ac that fails its fail_at-th call (0-based). */
static inline fc_allocator
alloc_check_make(alloc_check *ac, int fail_at)
{
	fc_allocator a = {alloc_check_alloc, alloc_check_free, ac};

	ac->live = 0;
	ac->calls = 0;
	ac->fail_at = fail_at;
	return a;
}

#endif							/* FC_ALLOC_CHECK_H */
