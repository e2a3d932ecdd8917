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

#include <stdio.h>
#include <stdlib.h>

#include "core/fc_common.h"

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

/* Adapters to one network's API for alloc_check_init_paths(). */
typedef fc_status (*alloc_check_init_fn) (void *arg, const fc_allocator *a, void **obj, fc_error *err);
typedef void (*alloc_check_free_fn) (void *obj);

#define ALLOC_CHECK_MAX_ALLOCS 1000

/*
 * What an init must do under memory pressure: with its k-th allocation
 * failing (k = 0, 1, ...) it returns FC_ERR_NOMEM, leaves *obj NULL and
 * nothing live; once no allocation fails, free_fn() releases every block.
 * Returns the number of violations, each described on stdout.
 */
static int
alloc_check_init_paths(alloc_check_init_fn init, alloc_check_free_fn free_fn, void *arg)
{
	int			problems = 0;

	for (int k = 0; k < ALLOC_CHECK_MAX_ALLOCS; k++)
	{
		alloc_check ac;
		fc_allocator a = alloc_check_make(&ac, k);
		void	   *obj = NULL;
		fc_error	err = {0};
		fc_status	st = init(arg, &a, &obj, &err);

		if (st == FC_OK)
		{
			free_fn(obj);
			if (ac.live != 0)
				problems++, printf("FAIL: %d blocks leaked by init + free\n", ac.live);
			if (k < 2)
				problems++, printf("FAIL: init made only %d allocations\n", k);
			return problems;
		}
		if (st != FC_ERR_NOMEM || ac.live != 0 || obj != NULL)
			problems++, printf("FAIL: allocation %d failing gave status %d (%s), %d blocks live, output %s\n",
							   k, (int) st, err.message, ac.live, obj ? "set" : "NULL");
	}
	printf("FAIL: init never succeeded within %d allocations\n", ALLOC_CHECK_MAX_ALLOCS);
	return problems + 1;
}

#endif							/* FC_ALLOC_CHECK_H */
