/*-------------------------------------------------------------------------
 *
 * unit_check.h
 *	  CHECK(cond, fmt, ...): count a failed check and say where and why,
 *	  without stopping the test, so one run reports every failure.  A test
 *	  ends with "return failures ? 1 : 0" (test/run.sh reads the exit
 *	  status).  Header-only: each unit test is its own program.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_UNIT_CHECK_H
#define FC_UNIT_CHECK_H

#include <stdio.h>

static int	failures = 0;

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) \
		{ \
			failures++; \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
		} \
	} while (0)

#endif							/* FC_UNIT_CHECK_H */
