/*-------------------------------------------------------------------------
 *
 * facegen.c
 *	  Deterministic generator of synthetic face-embedding workloads for the
 *	  ANN index benchmark (test/bench/ann_bench.sh).
 *
 * The statistical model is the one the team benchmarks against (see
 * test/bench/README.md, "ANN index"); the code is our own:
 *
 *	  D = 128, per-dimension scale s_i = 1/sqrt(i), i = 1..D, so the data is
 *	  anisotropic with a low intrinsic dimension, like real face descriptors.
 *	  identity k:  centre c_k ~ N(0, diag(s^2))
 *	  one photo:   p = normalize(c_k + sigma * e),  e ~ N(0, diag(s^2))
 *	  sigma = 0.5145: two photos of one person are ~0.45x as far apart as
 *	  photos of two people (median L2; "facegen stats" prints both).
 *	  each identity has 1..9 photos (uniform); the base is filled identity by
 *	  identity until N rows exist, then shuffled so one person's photos are
 *	  not adjacent on disk.
 *
 * Every number is a pure function of (seed, what, identity, photo): each
 * centre and each photo has its own random stream, keyed by a 64-bit mixing
 * hash and expanded by xoshiro256**, with normal deviates from the polar
 * method.  So the base, the queries and the rows of the insert test are
 * mutually consistent and the same seed gives byte-identical files.
 *
 * Components are written with 7 decimals; the binary files hold exactly the
 * float that PostgreSQL's float4 parser (strtof) reads back from that text,
 * so ground truth and database see the same vectors.
 *
 * Usage:
 *	  facegen base    N SEED [-f base.fvecs] [-l base.labels]          > base.tsv
 *		  id<TAB>identity<TAB>[v1,...,v128], id = 0..N-1
 *	  facegen queries Q SEED -n N [-f q.fvecs] [-l q.labels]           > q.tsv
 *		  qid<TAB>identity<TAB>known<TAB>[v...]; query q is a new photo of a
 *		  uniformly chosen base identity, except every q % 10 == 9 (10%), a
 *		  person absent from the base (identity 1000000000 + q, known 0)
 *	  facegen extra   M SEED -n N [-f x.fvecs] [-l x.labels]           > x.tsv
 *		  M rows in the base format, ids N..N+M-1, photos of new identities
 *	  facegen stats   N SEED
 *		  same/different-identity distance percentiles on stderr
 *
 * .fvecs: per vector int32 dimension, then D float32 (little endian).
 * .labels: one int32 identity per row, in file order.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D				128
#define UNKNOWN_ID0		1000000000L		/* identities of absent people */
#define SIGMA_DEFAULT	0.5145

/* What a random stream is for: part of its key, so streams never overlap. */
enum
{
	KEY_NPHOTOS = 1, KEY_CENTRE, KEY_PHOTO, KEY_QUERY, KEY_QPICK, KEY_SHUFFLE, KEY_STATS
};

static uint64_t seed;
static double sigma = SIGMA_DEFAULT;
static double scale[D];

/* ---- random numbers ---------------------------------------------------- */

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* A bijective 64-bit mixer (Pelle Evensen's rrmxmx): good avalanche for keys. */
static inline uint64_t
mix64(uint64_t x)
{
	x ^= rotl(x, 15) ^ rotl(x, 40);
	x *= 0x9FB21C651E98DF25ULL;
	x ^= x >> 28;
	x *= 0x9FB21C651E98DF25ULL;
	return x ^ (x >> 28);
}

/* The key of stream (what, a, b) under the global seed. */
static uint64_t
stream_key(int what, uint64_t a, uint64_t b)
{
	uint64_t	h = mix64(seed + 0x6A09E667F3BCC909ULL);

	h = mix64(h ^ ((uint64_t) what * 0xBB67AE8584CAA73BULL));
	h = mix64(h ^ a);
	return mix64(h ^ (b * 0x3C6EF372FE94F82BULL));
}

typedef struct Rng
{
	uint64_t	s[4];			/* xoshiro256** state */
	int			have_spare;		/* polar method yields deviates in pairs */
	double		spare;
} Rng;

static void
rng_init(Rng *r, uint64_t key)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = mix64(key + (uint64_t) (i + 1) * 0x9E3779B97F4A7C15ULL);
	r->have_spare = 0;
}

static inline uint64_t
rng_next(Rng *r)
{
	uint64_t   *s = r->s;
	uint64_t	out = rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* Uniform in [0, n) without modulo bias worth caring about (n << 2^64). */
static inline uint64_t
rng_below(Rng *r, uint64_t n)
{
	return (uint64_t) (((unsigned __int128) rng_next(r) * n) >> 64);
}

/* Standard normal deviate (Marsaglia's polar method). */
static double
rng_normal(Rng *r)
{
	double		u, v, q;

	if (r->have_spare)
	{
		r->have_spare = 0;
		return r->spare;
	}
	do
	{
		u = (rng_next(r) >> 11) * (2.0 / 9007199254740992.0) - 1.0;
		v = (rng_next(r) >> 11) * (2.0 / 9007199254740992.0) - 1.0;
		q = u * u + v * v;
	} while (q >= 1.0 || q == 0.0);
	q = sqrt(-2.0 * log(q) / q);
	r->spare = v * q;
	r->have_spare = 1;
	return u * q;
}

/* ---- the model --------------------------------------------------------- */

/* Number of base photos of identity k: 1..9. */
static int
photos_of(uint64_t k)
{
	return 1 + (int) (stream_key(KEY_NPHOTOS, k, 0) % 9);
}

static void
make_centre(uint64_t k, double *c)
{
	Rng			r;

	rng_init(&r, stream_key(KEY_CENTRE, k, 0));
	for (int i = 0; i < D; i++)
		c[i] = rng_normal(&r) * scale[i];
}

/*
 * One photo of the person with centre c, from the noise stream "key": writes
 * its text form "[v1,...]" to txt (which needs D * 11 + 3 bytes) and the
 * float the database parses from that text to v.  Returns the text length.
 */
static int
make_photo(const double *c, uint64_t key, char *txt, float *v)
{
	Rng			r;
	double		x[D], n2 = 0;
	char	   *p = txt;

	rng_init(&r, key);
	for (int i = 0; i < D; i++)
	{
		x[i] = c[i] + sigma * rng_normal(&r) * scale[i];
		n2 += x[i] * x[i];
	}
	*p++ = '[';
	for (int i = 0; i < D; i++)
	{
		long		m = lround(x[i] / sqrt(n2) * 1e7);	/* 7 decimals, |m| < 1e7 */
		char	   *start;
		char		digits[8];

		if (i)
			*p++ = ',';
		start = p;
		if (m < 0)
		{
			*p++ = '-';
			m = -m;
		}
		*p++ = '0' + (char) (m / 10000000);
		*p++ = '.';
		for (int d = 6; d >= 0; d--, m /= 10)
			digits[d] = '0' + (char) (m % 10);
		memcpy(p, digits, 7);
		p += 7;
		while (p[-1] == '0' && p[-2] != '.')	/* shortest form: trim zeros */
			p--;
		*p = '\0';
		v[i] = strtof(start, NULL);
	}
	*p++ = ']';
	*p = '\0';
	return (int) (p - txt);
}

static void
base_photo(uint64_t k, int j, char *txt, float *v)
{
	double		c[D];

	make_centre(k, c);
	make_photo(c, stream_key(KEY_PHOTO, k, (uint64_t) j), txt, v);
}

/* Identities needed for a base of n rows (the last one may be cut short). */
static uint64_t
identities_for(uint64_t n)
{
	uint64_t	rows = 0, k = 0;

	while (rows < n)
		rows += photos_of(k++);
	return k;
}

/* ---- output ------------------------------------------------------------ */

static FILE *
open_out(const char *path)
{
	FILE	   *f;

	if (!path)
		return NULL;
	if (!(f = fopen(path, "wb")))
	{
		perror(path);
		exit(1);
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

static void
write_bin(FILE *fv, FILE *fl, const float *v, int32_t label)
{
	int32_t		d = D;

	if (fv && (fwrite(&d, 4, 1, fv) != 1 || fwrite(v, 4, D, fv) != D))
		exit(1);
	if (fl && fwrite(&label, 4, 1, fl) != 1)
		exit(1);
}

static void
close_out(FILE *f, const char *path)
{
	if (f && fclose(f) != 0)
	{
		perror(path);
		exit(1);
	}
}

/*
 * Write m rows of photos of identities k0, k0+1, ... (each with all its
 * photos, the last possibly cut short), shuffled, with ids id0..id0+m-1.
 * Only the (identity, photo) slots are held in memory; each row is generated
 * when it is written.
 */
static void
write_rows(uint64_t m, uint64_t k0, uint64_t id0, FILE *fv, FILE *fl)
{
	struct Slot
	{
		uint32_t	k;
		uint32_t	j;
	}		   *slot = malloc(m * sizeof(*slot));
	uint64_t	row = 0;
	Rng			r;
	char		txt[D * 11 + 64];
	float		v[D];

	if (!slot)
	{
		fprintf(stderr, "facegen: out of memory\n");
		exit(1);
	}
	for (uint64_t k = k0; row < m; k++)
		for (int j = 0, n = photos_of(k); j < n && row < m; j++, row++)
		{
			slot[row].k = (uint32_t) k;
			slot[row].j = (uint32_t) j;
		}
	rng_init(&r, stream_key(KEY_SHUFFLE, k0, m));
	for (uint64_t i = m - 1; i > 0; i--)	/* Fisher-Yates */
	{
		uint64_t	j = rng_below(&r, i + 1);
		struct Slot t = slot[i];

		slot[i] = slot[j];
		slot[j] = t;
	}
	for (uint64_t i = 0; i < m; i++)
	{
		base_photo(slot[i].k, (int) slot[i].j, txt, v);
		printf("%llu\t%u\t%s\n", (unsigned long long) (id0 + i), slot[i].k, txt);
		write_bin(fv, fl, v, (int32_t) slot[i].k);
	}
	free(slot);
}

static void
write_queries(uint64_t nq, uint64_t nbase, FILE *fv, FILE *fl)
{
	uint64_t	ids = identities_for(nbase);
	char		txt[D * 11 + 64];
	float		v[D];
	double		c[D];

	for (uint64_t q = 0; q < nq; q++)
	{
		int			known = q % 10 != 9;
		uint64_t	k;

		if (known)
		{
			Rng			r;

			rng_init(&r, stream_key(KEY_QPICK, q, 0));
			k = rng_below(&r, ids);
		}
		else
			k = UNKNOWN_ID0 + q;
		make_centre(k, c);
		make_photo(c, stream_key(KEY_QUERY, k, q), txt, v);
		printf("%llu\t%llu\t%d\t%s\n", (unsigned long long) q, (unsigned long long) k,
			   known, txt);
		write_bin(fv, fl, v, (int32_t) k);
	}
	fprintf(stderr, "facegen: %llu queries over %llu base identities (10%% unknown)\n",
			(unsigned long long) nq, (unsigned long long) ids);
}

/* ---- stats --------------------------------------------------------------- */

static double
l2(const float *a, const float *b)
{
	double		s = 0;

	for (int i = 0; i < D; i++)
		s += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
	return sqrt(s);
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a, y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Distance percentiles of random same-identity and different-identity pairs. */
static void
print_stats(uint64_t n)
{
	enum { PAIRS = 20000 };
	uint64_t	ids = identities_for(n);
	double	   *same = malloc(PAIRS * sizeof(double)), *diff = malloc(PAIRS * sizeof(double));
	char		txt[D * 11 + 64];
	float		a[D], b[D];
	Rng			r;

	rng_init(&r, stream_key(KEY_STATS, n, 0));
	for (int s = 0; s < PAIRS; s++)
	{
		uint64_t	k, k2;
		int			np, j1, j2;

		do
			k = rng_below(&r, ids);
		while ((np = photos_of(k)) < 2);
		j1 = (int) rng_below(&r, np);
		do
			j2 = (int) rng_below(&r, np);
		while (j2 == j1);
		base_photo(k, j1, txt, a);
		base_photo(k, j2, txt, b);
		same[s] = l2(a, b);
		k = rng_below(&r, ids);
		do
			k2 = rng_below(&r, ids);
		while (k2 == k);
		base_photo(k, (int) rng_below(&r, photos_of(k)), txt, a);
		base_photo(k2, (int) rng_below(&r, photos_of(k2)), txt, b);
		diff[s] = l2(a, b);
	}
	qsort(same, PAIRS, sizeof(double), cmp_double);
	qsort(diff, PAIRS, sizeof(double), cmp_double);
	fprintf(stderr,
			"facegen: N=%llu identities=%llu sigma=%.4f\n"
			"facegen: same identity L2 p10/p50/p90 %.4f %.4f %.4f\n"
			"facegen: diff identity L2 p10/p50/p90 %.4f %.4f %.4f\n"
			"facegen: ratio of medians %.3f\n",
			(unsigned long long) n, (unsigned long long) ids, sigma,
			same[PAIRS / 10], same[PAIRS / 2], same[PAIRS * 9 / 10],
			diff[PAIRS / 10], diff[PAIRS / 2], diff[PAIRS * 9 / 10],
			same[PAIRS / 2] / diff[PAIRS / 2]);
	free(same);
	free(diff);
}

static void
usage(void)
{
	fprintf(stderr,
			"usage: facegen base|queries|extra|stats COUNT SEED [-n NBASE] "
			"[-f OUT.fvecs] [-l OUT.labels] [-x SIGMA]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *mode, *fpath = NULL, *lpath = NULL;
	uint64_t	count, nbase = 0;
	FILE	   *fv, *fl;

	if (argc < 4)
		usage();
	mode = argv[1];
	count = strtoull(argv[2], NULL, 10);
	seed = strtoull(argv[3], NULL, 10);
	for (int a = 4; a < argc; a += 2)
	{
		if (a + 1 >= argc)
			usage();
		if (!strcmp(argv[a], "-n"))
			nbase = strtoull(argv[a + 1], NULL, 10);
		else if (!strcmp(argv[a], "-f"))
			fpath = argv[a + 1];
		else if (!strcmp(argv[a], "-l"))
			lpath = argv[a + 1];
		else if (!strcmp(argv[a], "-x"))
			sigma = atof(argv[a + 1]);
		else
			usage();
	}
	if (count == 0 || count > 100000000)
	{
		fprintf(stderr, "facegen: COUNT must be 1..100000000\n");
		return 2;
	}
	if ((!strcmp(mode, "queries") || !strcmp(mode, "extra")) && nbase == 0)
	{
		fprintf(stderr, "facegen: %s needs -n NBASE (the base's row count)\n", mode);
		return 2;
	}
	for (int i = 0; i < D; i++)
		scale[i] = 1.0 / sqrt((double) (i + 1));
	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	fv = open_out(fpath);
	fl = open_out(lpath);

	if (!strcmp(mode, "base"))
		write_rows(count, 0, 0, fv, fl);
	else if (!strcmp(mode, "extra"))
		write_rows(count, identities_for(nbase), nbase, fv, fl);
	else if (!strcmp(mode, "queries"))
		write_queries(count, nbase, fv, fl);
	else if (!strcmp(mode, "stats"))
		print_stats(count);
	else
		usage();

	close_out(fv, fpath);
	close_out(fl, lpath);
	if (fflush(stdout) != 0)
	{
		perror("stdout");
		return 1;
	}
	return 0;
}
