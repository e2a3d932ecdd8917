/*-------------------------------------------------------------------------
 *
 * ann.h
 *	  The numeric core of the faceann index: k-means training, the random
 *	  rotation, 1-bit RaBitQ-style codes with their distance estimator, and
 *	  fp16 storage of vectors for exact-ish reranking.  Plain C: no
 *	  PostgreSQL headers, so it is unit-tested and benchmarked on its own.
 *
 * The code of a vector x assigned to centroid c is built from the rotated
 * residual u = P(x - c), P a seeded randomized Hadamard transform (orthogonal,
 * padded to a power of two "pdim" >= dim):
 *	  bits  b_i = (u_i > 0)
 *	  nr2   = |u|^2
 *	  k     = |u|^2 / sum|u_i|
 * For any vector v in the rotated space the estimator of <u, v> is
 *	  k * (2 * sum_{b_i=1} v_i - sum_i v_i)
 * (RaBitQ: <u,v> ~ |u| <o,v> / <o,u/|u|> with o = (2b-1)/sqrt(pdim)); it is
 * unbiased up to O(1/sqrt(pdim)) relative error.  The query side is scalar
 * quantized to 4 bits per coordinate so sum_{b_i=1} v_i is four popcounts of
 * (bits AND bit-plane).
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_ANN_H
#define FC_ANN_H

#include <stdint.h>

#include "fc_common.h"

#define FC_ANN_QBITS		4	/* bits per query coordinate in the estimator */

/* Smallest power of two >= dim and >= 64 (a code is a whole number of uint64). */
int			fc_ann_padded_dim(int dim);

/*
 * u[0..pdim) := P (x[0..dim) zero-padded).  P is orthogonal and depends only
 * on (pdim, seed).  u must have room for pdim floats; x and u may not alias.
 */
void		fc_ann_rotate(const float *x, int dim, int pdim, uint64_t seed, float *u);

/*
 * Encode rotated residual u[0..pdim): writes pdim/8 bytes of bits and the two
 * factors.  A zero residual gets nr2 = k = 0 (its estimate is exact).
 */
void		fc_ann_encode(const float *u, int pdim, uint8_t *bits, float *nr2, float *k);

/* A query prepared against one list: 4 bit-planes and the dequantization terms. */
typedef struct fc_ann_query
{
	int			pdim;
	int			nwords;			/* pdim / 64 */
	uint64_t	planes[FC_ANN_QBITS][2048 / 64];	/* plane j = bit j of qq_i */
	/* the same planes regrouped per 128 dimensions: {p0w0,p0w1,p1w0,p1w1,...} */
	uint64_t	packed[2048 / 128][2 * FC_ANN_QBITS];
	float		lo;				/* v_i ~ lo + delta * qq_i */
	float		delta;
	float		vsum;			/* sum_i v_i (exact) */
	float		vnorm2;			/* |v|^2 (exact) */
} fc_ann_query;

/* Prepare the estimator for rotated vector v[0..pdim) (pdim <= 2048). */
void		fc_ann_query_prepare(fc_ann_query *q, const float *v, int pdim);

/*
 * Estimate of <u, v> for the code (bits, k): k * (2 S_b - vsum) where
 * S_b = sum over set bits of v_i, computed from the quantized planes.
 */
extern float (*fc_ann_estimate_ip) (const fc_ann_query *q, const uint8_t *bits, float k);

/*
 * The estimator over n codes laid out with a fixed stride: code i has its
 * bits at bits + i * stride and its factor k (a float) at kptr + i * stride;
 * out[i] receives the estimate.  This is the index's inner loop.
 */
extern void (*fc_ann_estimate_ip_batch) (const fc_ann_query *q, const uint8_t *bits,
										 const uint8_t *kptr, int stride, int n, float *out);

/* fp16 storage: dst[i] = half(src[i] * scale) / the inverse, widened to float. */
extern void (*fc_ann_to_half) (uint16_t *dst, const float *src, float scale, int n);
extern void (*fc_ann_from_half) (float *dst, const uint16_t *src, int n);

/* Choose the kernels for this CPU; idempotent. */
void		fc_ann_init(void);

/*
 * Lloyd's k-means on data[n][dim] (row-major), k <= n centroids written to
 * centroids[k][dim].  Initialisation picks k distinct rows by a seeded
 * shuffle; empty clusters are re-seeded from the largest cluster.  Distances
 * are computed with sgemm in blocks (|x|^2 + |c|^2 - 2 x.c).  With
 * spherical != 0 centroids are renormalised to unit length after each step
 * (cosine).  Polls hooks->interrupted once per block.
 */
fc_status	fc_ann_kmeans(const float *data, int64_t n, int dim, int k, int iters,
						  int spherical, uint64_t seed, float *centroids,
						  const fc_hooks *hooks, fc_error *err);

/*
 * For each row of data[n][dim], the index of the centroid nearest in L2
 * (ties to the lower index).  cnorm2[k] = |c_j|^2 precomputed by the caller
 * (fc_ann_norms); scratch must hold n * k floats.
 */
void		fc_ann_assign(const float *data, int64_t n, int dim, const float *centroids,
						  const float *cnorm2, int k, float *scratch, int32_t *assign);

/* out[i] = |rows[i]|^2 for rows[n][dim]. */
void		fc_ann_norms(const float *rows, int64_t n, int dim, float *out);

#endif							/* FC_ANN_H */
