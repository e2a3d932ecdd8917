/*-------------------------------------------------------------------------
 *
 * bench_distance.c
 *	  Nanoseconds per distance for each kernel and instruction set of
 *	  src/core/distance.h, outside PostgreSQL: the ceiling a scan could
 *	  reach if row handling cost nothing.
 *
 *	  bench_distance [DIM]      (default 128)
 *
 * One query against a block of vectors, twice: 256 KB (in cache: the
 * kernels' compute speed) and 64 MB (streamed from memory, as a table scan
 * is).  Vectors start 4 bytes past a 64-byte boundary, as float4 data in a
 * heap tuple may.  Best of several passes per kernel.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/vec/distance.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* best ns per call of kernel f (0 l2sq, 1 ip, 2 l1, 3 cosine) over passes */
static double
time_kernel(const FaceDistanceKernels *k, int f, const float *q, const float *base,
			long count, int dim, int passes)
{
	double		best = 1e30;
	volatile float sink = 0;

	for (int pass = 0; pass < passes; pass++)
	{
		double		t0 = now(),
					ns;
		float		s = 0,
					ab,
					aa,
					bb;

		for (long i = 0; i < count; i++)
		{
			const float *v = base + i * dim;

			switch (f)
			{
				case 0:
					s += k->l2_squared(q, v, dim);
					break;
				case 1:
					s += k->inner_product(q, v, dim);
					break;
				case 2:
					s += k->l1_distance(q, v, dim);
					break;
				default:
					k->cosine_parts(q, v, dim, &ab, &aa, &bb);
					s += ab + aa + bb;
					break;
			}
		}
		ns = (now() - t0) / count * 1e9;
		sink += s;
		if (ns < best)
			best = ns;
	}
	(void) sink;
	return best;
}

int
main(int argc, char **argv)
{
	static const char *const isas[] = {"scalar", "avx2", "avx512"};
	static const struct
	{
		const char *name;
		long		bytes;
		int			passes;
	}			sets[] = {{"in cache (256 KB)", 256L << 10, 300}, {"streamed (64 MB)", 64L << 20, 10}};
	int			dim = argc > 1 ? atoi(argv[1]) : 128;

	if (dim < 1 || dim > 2048)
		return 2;
	for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++)
	{
		long		count = sets[s].bytes / (sizeof(float) * dim);
		float	   *mem = aligned_alloc(64, sizeof(float) * dim * count + 64);
		float	   *base = mem + 1;
		float		q[2048];

		if (mem == NULL)
			return 2;
		for (long i = 0; i < dim * count; i++)
			base[i] = (float) rand() / RAND_MAX - 0.5f;
		for (int i = 0; i < dim; i++)
			q[i] = (float) rand() / RAND_MAX - 0.5f;

		printf("ns per %d-D distance, %s, best of %d\n", dim, sets[s].name, sets[s].passes);
		printf("  %-8s %8s %8s %8s %8s\n", "isa", "l2sq", "ip", "l1", "cosine");
		for (size_t i = 0; i < sizeof(isas) / sizeof(isas[0]); i++)
		{
			const FaceDistanceKernels *k = face_distance_kernels(isas[i]);

			if (k == NULL)
			{
				printf("  %-8s not available on this CPU\n", isas[i]);
				continue;
			}
			printf("  %-8s", isas[i]);
			for (int f = 0; f < 4; f++)
				printf(" %8.1f", time_kernel(k, f, q, base, count, dim, sets[s].passes));
			printf("\n");
		}
		free(mem);
	}
	return 0;
}
