/*-------------------------------------------------------------------------
 *
 * test_cluster.c
 *	  Unit tests of core/learn/knn.c and cluster.c on constructed point sets:
 *	  the radius graph (exact, and IVF against exact), chinese whispers and
 *	  DBSCAN on blobs, the label constraints (must-link, cannot-link,
 *	  labelled rows never noise, labels handed on), numbering by size then
 *	  key, determinism for a seed.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/learn/cluster.h"
#include "core/learn/knn.h"
#include "unit_check.h"

#define DIM 8

static uint64_t rng_state = 42;

static double
uniform(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double) (rng_state >> 11) / 9007199254740992.0;
}

/* n points around centre c (each coordinate +- spread) */
static void
blob(float *x, int n, float c, float spread)
{
	for (int i = 0; i < n; i++)
		for (int d = 0; d < DIM; d++)
			x[i * DIM + d] = c + (float) ((uniform() * 2 - 1) * spread);
}

static char **
make_keys(int n, const char *prefix)
{
	char	  **k = malloc(sizeof(char *) * n);

	for (int i = 0; i < n; i++)
	{
		k[i] = malloc(32);
		snprintf(k[i], 32, "%s%04d", prefix, i);
	}
	return k;
}

static int
run(const float *x, int n, const char *const *keys, const int32_t *label, int nlabels,
	fc_cluster_method m, int min_faces, uint64_t seed, int32_t *cl, int32_t *cll)
{
	fc_knn_graph g;
	fc_error	err;
	fc_cluster_params p = {m, min_faces, 100, seed};
	int			nc = -1;

	CHECK(fc_knn_build(x, n, DIM, 0.6f, 32, 4, seed, NULL, &g, &err) == FC_OK, "knn build");
	CHECK(fc_cluster(&g, keys, label, nlabels, &p, NULL, cl, cll, &nc, &err) == FC_OK,
		  "cluster: %s", err.message);
	fc_knn_free(&g, NULL);
	return nc;
}

/* blobs of 12 (rows 0..11, centre 0), 8 (12..19, centre 5), one outlier (20, centre 10) */
static void
test_blobs(fc_cluster_method m)
{
	float		x[21 * DIM];
	char	  **keys = make_keys(21, "k");
	int32_t		label[21],
				cl[21],
				cll[21];
	int			nc;

	blob(x, 12, 0, 0.05f);
	blob(x + 12 * DIM, 8, 5, 0.05f);
	blob(x + 20 * DIM, 1, 10, 0.05f);
	for (int i = 0; i < 21; i++)
		label[i] = -1;
	nc = run(x, 21, (const char *const *) keys, label, 0, m, 3, 1, cl, cll);
	CHECK(nc == 2, "method %d: %d clusters, not 2", m, nc);
	for (int i = 0; i < 12; i++)
		CHECK(cl[i] == 1, "method %d: row %d in cluster %d, not 1 (the larger blob)", m, i, cl[i]);
	for (int i = 12; i < 20; i++)
		CHECK(cl[i] == 2, "method %d: row %d in cluster %d, not 2", m, i, cl[i]);
	CHECK(cl[20] == 0, "method %d: the outlier is in cluster %d, not noise", m, cl[20]);
	for (int i = 0; i < 21; i++)
		CHECK(cll[i] == -1, "method %d: row %d got label %d without labels", m, i, cll[i]);

	/* must-link: one label in both blobs joins them; the label is handed on */
	label[0] = 0;
	label[15] = 0;
	nc = run(x, 21, (const char *const *) keys, label, 1, m, 3, 1, cl, cll);
	CHECK(nc == 1, "method %d: must-link: %d clusters, not 1", m, nc);
	for (int i = 0; i < 20; i++)
		CHECK(cl[i] == 1 && cll[i] == 0, "method %d: must-link: row %d in %d label %d", m, i,
			  cl[i], cll[i]);

	/* cannot-link: two labels in the big blob split it; a labelled outlier is not noise */
	label[0] = 0;
	label[15] = -1;
	label[5] = 1;
	label[20] = 2;
	nc = run(x, 21, (const char *const *) keys, label, 3, m, 3, 1, cl, cll);
	CHECK(cl[0] != cl[5], "method %d: cannot-link: rows 0 and 5 share cluster %d", m, cl[0]);
	CHECK(cl[0] > 0 && cl[5] > 0, "method %d: labelled rows are noise", m);
	CHECK(cll[0] == 0 && cll[5] == 1, "method %d: labels %d %d", m, cll[0], cll[5]);
	CHECK(cl[20] > 0 && cll[20] == 2, "method %d: labelled outlier in %d label %d", m, cl[20], cll[20]);
	for (int i = 0; i < 12; i++)
		CHECK(cl[i] == cl[0] || cl[i] == cl[5], "method %d: row %d left its blob", m, i);
	for (int i = 0; i < 12; i++)
		CHECK(cll[i] == (cl[i] == cl[0] ? 0 : 1), "method %d: row %d not handed its label", m, i);
	for (int i = 12; i < 20; i++)
		CHECK(cll[i] == -1, "method %d: row %d of the other blob got label %d", m, i, cll[i]);
	(void) nc;
	for (int i = 0; i < 21; i++)
		free(keys[i]);
	free(keys);
}

/* two blobs of equal size: the one holding the smallest key is cluster 1 */
static void
test_ties_by_key(void)
{
	float		x[20 * DIM];
	const char *keys[20];
	char		buf[20][8];
	int32_t		label[20],
				cl[20],
				cll[20];

	blob(x, 10, 0, 0.05f);
	blob(x + 10 * DIM, 10, 5, 0.05f);
	for (int i = 0; i < 20; i++)
	{
		/* the second blob has the smallest key "a..." */
		snprintf(buf[i], sizeof(buf[i]), "%c%02d", i < 10 ? 'z' : 'a', i);
		keys[i] = buf[i];
		label[i] = -1;
	}
	run(x, 20, keys, label, 0, FC_CLUSTER_WHISPERS, 1, 7, cl, cll);
	CHECK(cl[10] == 1 && cl[0] == 2, "ties: clusters %d and %d, not 1 and 2", cl[10], cl[0]);
}

/* two 6-cliques joined by one edge: chinese whispers keeps them apart */
static void
test_whispers_bridge(void)
{
	float		x[12 * DIM];
	const char *keys[12] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"};
	int32_t		label[12],
				cl[12],
				cll[12];
	int			nc;

	memset(x, 0, sizeof(x));
	/* clique A at 0, clique B at 1.0 along axis 0; the bridge rows at 0.2 and 0.75 */
	for (int i = 0; i < 6; i++)
		x[i * DIM + 1] = 0.01f * i;
	for (int i = 6; i < 12; i++)
	{
		x[i * DIM] = 1.0f;
		x[i * DIM + 1] = 0.01f * i;
	}
	x[5 * DIM] = 0.4f;			/* 0.4 from A (within 0.6), 0.6+ from B except row 6 */
	x[6 * DIM] = 0.95f;
	for (int i = 0; i < 12; i++)
		label[i] = -1;
	nc = run(x, 12, keys, label, 0, FC_CLUSTER_WHISPERS, 1, 3, cl, cll);
	CHECK(nc == 2, "bridge: %d clusters, not 2", nc);
	for (int i = 1; i < 6; i++)
		CHECK(cl[i] == cl[0], "bridge: row %d left clique A", i);
	for (int i = 7; i < 12; i++)
		CHECK(cl[i] == cl[11] && cl[i] != cl[0], "bridge: row %d left clique B", i);
}

/* same seed, same clusters; the IVF graph (n > exact max) equals the exact one when it probes every list */
static void
test_ivf_and_determinism(void)
{
	int			n = FC_KNN_EXACT_MAX + 904;
	float	   *x = malloc(sizeof(float) * n * DIM);
	fc_knn_graph ex,
				iv,
				iv2;
	fc_error	err;
	int			nlist = (int) sqrt((double) n);
	int64_t		exact_edges = 0,
				found = 0,
				wrong = 0;

	for (int b = 0; b < n / 10; b++)
		blob(x + (size_t) b * 10 * DIM, 10, (float) (b % 97) * 0.9f + (float) (b / 97) * 0.013f, 0.08f);
	CHECK(fc_knn_build(x, FC_KNN_EXACT_MAX, DIM, 0.6f, 16, 1, 1, NULL, &ex, &err) == FC_OK, "exact");
	fc_knn_free(&ex, NULL);

	/* reference: brute force over all pairs by hand */
	CHECK(fc_knn_build(x, n, DIM, 0.6f, 16, nlist, 1, NULL, &iv, &err) == FC_OK, "ivf all lists");
	CHECK(fc_knn_build(x, n, DIM, 0.6f, 16, 3, 1, NULL, &iv2, &err) == FC_OK, "ivf 3 lists");
	for (int i = 0; i < n; i++)
	{
		int			cnt = 0;
		float		best[16];

		/* exact k nearest within radius, by hand */
		for (int s = 0; s < 16; s++)
			best[s] = INFINITY;
		for (int j = 0; j < n; j++)
		{
			float		d2 = 0;

			if (j == i)
				continue;
			for (int d = 0; d < DIM; d++)
				d2 += (x[i * DIM + d] - x[j * DIM + d]) * (x[i * DIM + d] - x[j * DIM + d]);
			if (d2 <= 0.36f)
			{
				float		dd = sqrtf(d2);
				int			p = 15;

				cnt++;
				if (dd >= best[15])
					continue;
				while (p > 0 && best[p - 1] > dd)
				{
					best[p] = best[p - 1];
					p--;
				}
				best[p] = dd;
			}
		}
		for (int s = 0; s < 16; s++)
		{
			int32_t		j = iv.nbr[i * 16 + s];

			if (s < (cnt < 16 ? cnt : 16))
				CHECK(j >= 0 && fabsf(iv.dist[i * 16 + s] - best[s]) < 1e-4f,
					  "ivf all lists: row %d slot %d: %d at %g, not %g", i, s, j,
					  iv.dist[i * 16 + s], best[s]);
			else
				CHECK(j < 0, "ivf all lists: row %d has an extra neighbour", i);
			j = iv2.nbr[i * 16 + s];
			if (j >= 0)
			{
				float		d2 = 0;

				for (int d = 0; d < DIM; d++)
					d2 += (x[i * DIM + d] - x[j * DIM + d]) * (x[i * DIM + d] - x[j * DIM + d]);
				found++;
				if (fabsf(sqrtf(d2) - iv2.dist[i * 16 + s]) > 1e-4f || iv2.dist[i * 16 + s] > 0.6f)
					wrong++;
			}
		}
		exact_edges += cnt < 16 ? cnt : 16;
	}
	CHECK(wrong == 0, "ivf 3 lists: %lld edges with a wrong distance", (long long) wrong);
	CHECK(found >= exact_edges * 0.9, "ivf 3 lists: recall %lld of %lld", (long long) found,
		  (long long) exact_edges);
	{
		char	  **keys = make_keys(n, "r");
		int32_t    *label = malloc(sizeof(int32_t) * n),
				   *c1 = malloc(sizeof(int32_t) * n),
				   *c2 = malloc(sizeof(int32_t) * n),
				   *l1 = malloc(sizeof(int32_t) * n);
		fc_cluster_params p = {FC_CLUSTER_WHISPERS, 1, 100, 5};
		int			n1,
					n2;

		for (int i = 0; i < n; i++)
			label[i] = -1;
		CHECK(fc_cluster(&iv2, (const char *const *) keys, label, 0, &p, NULL, c1, l1, &n1, &err) == FC_OK, "c1");
		CHECK(fc_cluster(&iv2, (const char *const *) keys, label, 0, &p, NULL, c2, l1, &n2, &err) == FC_OK, "c2");
		CHECK(n1 == n2 && memcmp(c1, c2, sizeof(int32_t) * n) == 0, "same seed, different clusters");
		for (int i = 0; i < n; i++)
			free(keys[i]);
		free(keys);
		free(label);
		free(c1);
		free(c2);
		free(l1);
	}
	fc_knn_free(&iv, NULL);
	fc_knn_free(&iv2, NULL);
	free(x);
}

static int
stop_now(void *ctx)
{
	return 1;
}

static void
test_cancel_and_bad_args(void)
{
	float		x[10 * DIM];
	fc_knn_graph g;
	fc_error	err;
	fc_hooks	h = {&fc_malloc_allocator, stop_now, NULL};

	blob(x, 10, 0, 0.05f);
	CHECK(fc_knn_build(x, 10, DIM, 0.6f, 4, 1, 1, &h, &g, &err) == FC_ERR_CANCELLED, "not cancelled");
	CHECK(fc_knn_build(x, 10, DIM, 0.0f, 4, 1, 1, NULL, &g, &err) == FC_ERR_INVALID_ARGUMENT, "radius 0");
	CHECK(fc_knn_build(x, 10, DIM, 0.6f, 0, 1, 1, NULL, &g, &err) == FC_ERR_INVALID_ARGUMENT, "k 0");
}

int
main(void)
{
	test_blobs(FC_CLUSTER_WHISPERS);
	test_blobs(FC_CLUSTER_DBSCAN);
	test_ties_by_key();
	test_whispers_bridge();
	test_ivf_and_determinism();
	test_cancel_and_bad_args();
	if (failures == 0)
		printf("test_cluster: ok\n");
	return failures ? 1 : 0;
}
