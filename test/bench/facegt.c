/*-------------------------------------------------------------------------
 *
 * facegt.c
 *	  Exact ground truth for the ANN benchmark: the k nearest base rows (L2)
 *	  of every query, by brute force, optionally restricted to the rows whose
 *	  identity passes a modulo filter (the "10% selective" query).
 *
 * Usage:
 *	  facegt -b base.fvecs -q queries.fvecs [-k 10] [-t THREADS]
 *			 [-L base.labels -m MOD -r REM]                          > gt.txt
 *
 * Output, one line per query in query order (distances are L2, not squared,
 * ascending; ties broken by the smaller id):
 *	  qid<TAB>id1,...,idk<TAB>d1,...,dk
 * A base row's id is its position in base.fvecs (facegen writes ids 0..N-1 in
 * file order).
 *
 * Distances are accumulated in double from the float32 inputs, so the order
 * is exact up to ties that float arithmetic cannot separate anyway.  Queries
 * are split across POSIX threads; each thread streams the base in blocks
 * that stay in cache while all of its queries visit them.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D		128
#define MAXK	1000
#define BLOCK	512				/* base rows per cache block: 256 kB */

typedef struct Neighbour
{
	double		dist;			/* squared L2 */
	int64_t		id;
} Neighbour;

static float *base, *queries;
static int32_t *labels;
static int64_t nbase, nquery;
static int	k = 10, mod = 0, rem = 0, nthreads = 2;
static Neighbour *result;		/* [nquery][k], ascending */

/*
 * Read an .fvecs file of D-dimensional vectors; sets *n.  Exits on any
 * malformed input, since a silently wrong ground truth is worse than none.
 */
static float *
read_fvecs(const char *path, int64_t *n)
{
	FILE	   *f = fopen(path, "rb");
	long		size;
	float	   *v;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0)
	{
		perror(path);
		exit(1);
	}
	rewind(f);
	if (size % (4 * (D + 1)) != 0)
	{
		fprintf(stderr, "facegt: %s is not a file of %d-dimensional fvecs\n", path, D);
		exit(1);
	}
	*n = size / (4 * (D + 1));
	v = malloc((size_t) *n * D * sizeof(float));
	for (int64_t i = 0; i < *n; i++)
	{
		int32_t		d;

		if (fread(&d, 4, 1, f) != 1 || d != D || fread(v + i * D, 4, D, f) != D)
		{
			fprintf(stderr, "facegt: %s: bad vector %lld\n", path, (long long) i);
			exit(1);
		}
	}
	fclose(f);
	return v;
}

static int32_t *
read_labels(const char *path, int64_t n)
{
	FILE	   *f = fopen(path, "rb");
	int32_t    *l = malloc((size_t) n * sizeof(int32_t));

	if (!f || fread(l, 4, n, f) != (size_t) n)
	{
		fprintf(stderr, "facegt: cannot read %lld labels from %s\n", (long long) n, path);
		exit(1);
	}
	fclose(f);
	return l;
}

/* Squared L2 in eight double lanes: vectorisable, and exact enough to rank. */
static inline double
sqdist(const float *a, const float *b)
{
	double		acc[8] = {0};

	for (int i = 0; i < D; i += 8)
		for (int j = 0; j < 8; j++)
		{
			double		t = (double) a[i + j] - b[i + j];

			acc[j] += t * t;
		}
	return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* Insert (d, id) into the ascending list top[0..k-1] if it belongs there. */
static inline void
offer(Neighbour *top, double d, int64_t id)
{
	int			i = k - 1;

	if (d > top[i].dist || (d == top[i].dist && id > top[i].id))
		return;
	while (i > 0 && (d < top[i - 1].dist || (d == top[i - 1].dist && id < top[i - 1].id)))
	{
		top[i] = top[i - 1];
		i--;
	}
	top[i].dist = d;
	top[i].id = id;
}

/* Thread body: exact top-k for queries [q0, q1). */
static void *
search_range(void *arg)
{
	int64_t		q0 = ((int64_t *) arg)[0], q1 = ((int64_t *) arg)[1];

	for (int64_t q = q0; q < q1; q++)
		for (int i = 0; i < k; i++)
		{
			result[q * k + i].dist = INFINITY;
			result[q * k + i].id = INT64_MAX;
		}
	for (int64_t b0 = 0; b0 < nbase; b0 += BLOCK)
	{
		int64_t		b1 = b0 + BLOCK < nbase ? b0 + BLOCK : nbase;

		for (int64_t q = q0; q < q1; q++)
		{
			const float *qv = queries + q * D;
			Neighbour  *top = result + q * k;

			for (int64_t b = b0; b < b1; b++)
			{
				if (mod && labels[b] % mod != rem)
					continue;
				offer(top, sqdist(qv, base + b * D), b);
			}
		}
	}
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: facegt -b BASE.fvecs -q QUERIES.fvecs [-k K] [-t THREADS] "
			"[-L BASE.labels -m MOD -r REM]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *bpath = NULL, *qpath = NULL, *lpath = NULL;
	pthread_t	tid[64];
	int64_t		range[64][2];

	for (int a = 1; a < argc; a += 2)
	{
		if (a + 1 >= argc)
			usage();
		if (!strcmp(argv[a], "-b"))
			bpath = argv[a + 1];
		else if (!strcmp(argv[a], "-q"))
			qpath = argv[a + 1];
		else if (!strcmp(argv[a], "-L"))
			lpath = argv[a + 1];
		else if (!strcmp(argv[a], "-k"))
			k = atoi(argv[a + 1]);
		else if (!strcmp(argv[a], "-t"))
			nthreads = atoi(argv[a + 1]);
		else if (!strcmp(argv[a], "-m"))
			mod = atoi(argv[a + 1]);
		else if (!strcmp(argv[a], "-r"))
			rem = atoi(argv[a + 1]);
		else
			usage();
	}
	if (!bpath || !qpath || k < 1 || k > MAXK || nthreads < 1 || nthreads > 64 ||
		mod < 0 || (mod && !lpath))
		usage();

	base = read_fvecs(bpath, &nbase);
	queries = read_fvecs(qpath, &nquery);
	if (lpath)
		labels = read_labels(lpath, nbase);
	result = malloc((size_t) nquery * k * sizeof(Neighbour));

	for (int t = 0; t < nthreads; t++)
	{
		range[t][0] = nquery * t / nthreads;
		range[t][1] = nquery * (t + 1) / nthreads;
		if (pthread_create(&tid[t], NULL, search_range, range[t]) != 0)
		{
			fprintf(stderr, "facegt: cannot start thread\n");
			return 1;
		}
	}
	for (int t = 0; t < nthreads; t++)
		pthread_join(tid[t], NULL);

	for (int64_t q = 0; q < nquery; q++)
	{
		const Neighbour *top = result + q * k;

		printf("%lld\t", (long long) q);
		for (int i = 0; i < k; i++)
			printf(i ? ",%lld" : "%lld", (long long) (top[i].id == INT64_MAX ? -1 : top[i].id));
		putchar('\t');
		for (int i = 0; i < k; i++)
			printf(i ? ",%.6f" : "%.6f", isinf(top[i].dist) ? -1.0 : sqrt(top[i].dist));
		putchar('\n');
	}
	return fflush(stdout) != 0;
}
