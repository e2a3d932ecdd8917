/*-------------------------------------------------------------------------
 *
 * ann.h
 *	  The numeric core of the faceann index: k-means training, the random
 *	  rotation, 4-bit codes of rotated residuals with their estimator, and
 *	  fp16 storage of vectors for exact-ish reranking.  Plain C: no
 *	  PostgreSQL headers, so it is unit-tested and benchmarked on its own.
 *
 * The code of a vector x assigned to centroid c is built from the rotated
 * residual u = P(x - c), P a seeded randomized Hadamard transform (orthogonal,
 * padded to a power of two "pdim" >= dim, >= 128): every coordinate of u is
 * quantized to 4 bits on a grid fitted to that vector,
 *	  u_i ~ lo + delta * n_i,	n_i in 0..15
 * (the rotation spreads the residual's energy evenly over the coordinates,
 * so one grid per vector fits all of them), and nr2 = |u|^2 is kept exactly.
 * For a rotated query-side vector v:
 *	  <u, v> ~ lo * sum_i v_i + delta * sum_i n_i v_i
 * and the second sum is an integer dot product with v quantized to int8
 * (v_i ~ scale * vq_i), one VPDPBUSD per 64 dimensions.  The estimate of
 * |q - x|^2 = |v|^2 + |u|^2 - 2<u, v> (v = P(q - c)) errs by 2<u - u^, v>,
 * the grid error projected on v: about |v| delta / sqrt(3), a few thousandths
 * of the distance for unit face embeddings, which is what lets the index
 * rerank only a few dozen candidates.
 *
 * Code bytes: for each 128 dimensions c, 64 bytes; byte j holds n_{c+j} in
 * its low nibble and n_{c+64+j} in its high nibble, so a 64-byte load split
 * by nibble gives 64 consecutive dimensions twice.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_ANN_H
#define FC_ANN_H

#include <stdint.h>

#include "core/fc_common.h"

#define FC_ANN_LEVELS		15	/* 4-bit codes: n_i in 0..15 */
#define FC_ANN_REFITS		2	/* least-squares refits of the grid per code */
#define FC_ANN_MAX_PDIM		2048

/* Smallest power of two >= dim and >= 128 (codes are whole 64-byte blocks). */
int			fc_ann_padded_dim(int dim);

/*
 * u[0..pdim) := P (x[0..dim) zero-padded).  P is orthogonal and depends only
 * on (pdim, seed).  u must have room for pdim floats; x and u may not alias.
 */
void		fc_ann_rotate(const float *x, int dim, int pdim, uint64_t seed, float *u);

/*
 * Encode rotated residual u[0..pdim) (pdim <= FC_ANN_MAX_PDIM): writes pdim/2
 * code bytes, |u|^2 and the grid.  A constant u (a zero residual) gets
 * delta = 0 and is reproduced exactly.
 */
void		fc_ann_encode(const float *u, int pdim, uint8_t *nib, float *nr2, float *lo,
						  float *delta);

/* The grid point u^ of a code: u[i] = lo + delta * n_i. */
void		fc_ann_decode(const uint8_t *nib, float lo, float delta, int pdim, float *u);

/* A rotated query-side vector, quantized for the estimator. */
typedef struct fc_ann_query
{
	int			pdim;
	float		scale;			/* v_i ~ scale * vq_i */
	float		vsum;			/* sum_i v_i (exact) */
	float		vnorm2;			/* |v|^2 (exact) */
	int8_t		vq[FC_ANN_MAX_PDIM];
} fc_ann_query;

/* Prepare the estimator for rotated vector v[0..pdim). */
void		fc_ann_query_prepare(fc_ann_query *q, const float *v, int pdim);

/* Estimate of <u, v> for one code (portable; the reference of the batch kernels). */
float		fc_ann_estimate_ip(const fc_ann_query *q, const uint8_t *nib, float lo, float delta);

/*
 * The estimator over n codes laid out with a fixed stride: code i has its
 * bytes at nib + i * stride and its grid (float lo, float delta, adjacent)
 * at factors + i * stride; out[i] receives the estimate.  This is the
 * index's inner loop.
 */
extern void (*fc_ann_estimate_ip_batch) (const fc_ann_query *q, const uint8_t *nib,
										 const uint8_t *factors, int stride, int n, float *out);

/* fp16 storage: dst[i] = half(src[i] * scale) / the inverse, widened to float. */
extern void (*fc_ann_to_half) (uint16_t *dst, const float *src, float scale, int n);
extern void (*fc_ann_from_half) (float *dst, const uint16_t *src, int n);

/* Choose the kernels for this CPU; idempotent. */
void		fc_ann_init(void);

/*
 * Use the estimator kernel of one instruction set instead ("generic", "avx2",
 * "avx512vnni"), for tests and benchmarks: 0, or -1 if this CPU or build
 * lacks it.  fc_ann_init() restores the best.
 */
int			fc_ann_use_isa(const char *isa);

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

/*
 * The key that orders lists for a query q[dim]: with l2, |q - c_j|^2 (from
 * |q|^2 + |c_j|^2 - 2 q.c_j, clamped at 0; cnorm2 as for fc_ann_assign),
 * else -q.c_j.  out[k].  One sgemv over the centroids.
 */
void		fc_ann_list_keys(const float *q, int dim, const float *centroids, const float *cnorm2,
							 int k, int l2, float *out);

/* out[i] = |rows[i]|^2 for rows[n][dim]. */
void		fc_ann_norms(const float *rows, int64_t n, int dim, float *out);

#endif							/* FC_ANN_H */
