/*-------------------------------------------------------------------------
 *
 * knn.h
 *	  The radius-bounded k-nearest-neighbour graph of a set of embeddings,
 *	  built in memory with an IVF partition (core/vec k-means), which the
 *	  clustering methods run on.  Plain C, no PostgreSQL headers.
 *
 * For every row i, up to k rows j != i with L2(i, j) <= radius, nearest
 * first.  Small inputs (n <= FC_KNN_EXACT_MAX) are searched exactly (all
 * pairs); larger ones are split into about sqrt(n) k-means lists and each
 * row scans the nprobe lists whose centroids are nearest to it, so the cost
 * is O(n * nprobe * n / nlist) = O(n^1.5 * nprobe), never O(n^2) at scale.
 * The approximate graph may miss an edge, never invents one: every edge's
 * distance is computed exactly.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_KNN_H
#define FC_KNN_H

#include <stdint.h>

#include "core/fc_common.h"

#define FC_KNN_EXACT_MAX	4096	/* at most this many rows: exact search */

typedef struct fc_knn_graph
{
	int			n;				/* rows */
	int			k;				/* neighbour slots per row */
	int32_t    *nbr;			/* n * k neighbour rows, nearest first, -1 past the last */
	float	   *dist;			/* n * k L2 distances beside them */
} fc_knn_graph;

/*
 * Bytes fc_knn_build allocates for n rows of dim floats with k neighbours
 * (the graph itself and the IVF scratch), for the caller's memory check.
 */
extern size_t fc_knn_memory(int64_t n, int dim, int k);

/*
 * Build the graph of data[n][dim] (row-major).  radius > 0 bounds the edges;
 * k >= 1; nprobe >= 1 lists per row (ignored when exact); seed drives the
 * k-means.  The result's arrays come from hooks->allocator (free them with
 * fc_knn_free).  Polls hooks->interrupted every 256 rows (FC_ERR_CANCELLED).
 */
extern fc_status fc_knn_build(const float *data, int n, int dim, float radius, int k,
							  int nprobe, uint64_t seed, const fc_hooks *hooks,
							  fc_knn_graph *out, fc_error *err);

extern void fc_knn_free(fc_knn_graph *g, const fc_hooks *hooks);

#endif							/* FC_KNN_H */
