/*-------------------------------------------------------------------------
 *
 * quant.c
 *	  int8 quantisation of weights (once, at model load) and activations
 *	  (per call) for the int8 kernels of gemm.h, whose banner gives the
 *	  scheme; and fc_nn_precision.
 *
 * Per output channel weight scales and per pixel activation scales are
 * the finest that cost nothing in the kernel (one multiply per output,
 * already there for the dequantisation); per pixel, dynamic, also needs
 * no calibration images and adapts to every photo.
 *
 *-------------------------------------------------------------------------
 */
#include "fc_simd.h"

#include <math.h>
#include <string.h>

#include "quant.h"

fc_precision fc_nn_precision = FC_PRECISION_DEFAULT;

#define ALIGN64(x)	(((x) + 63) & ~(size_t) 63)

static int
padded_k(int k)
{
	return (k + FC_Q8_KGROUP - 1) / FC_Q8_KGROUP * FC_Q8_KGROUP;
}

static int
panels(int n)
{
	return (n + FC_Q8_PANEL - 1) / FC_Q8_PANEL;
}

size_t
fc_q8_bytes(int k, int n)
{
	size_t		cols = (size_t) panels(n) * FC_Q8_PANEL;

	return ALIGN64((size_t) padded_k(k) * cols) +	/* packed codes */
		ALIGN64(cols * sizeof(int32_t)) +	/* colsum */
		ALIGN64(cols * sizeof(float));	/* scale */
}

void
fc_q8_pack(const float *w, int k, int n, void *mem, fc_q8_weights *out)
{
	int			kp = padded_k(k),
				np = panels(n);
	size_t		cols = (size_t) np * FC_Q8_PANEL;
	int8_t	   *packed = mem;
	int32_t    *colsum = (int32_t *) ((char *) mem + ALIGN64((size_t) kp * cols));
	float	   *scale = (float *) ((char *) colsum + ALIGN64(cols * sizeof(int32_t)));

	memset(mem, 0, fc_q8_bytes(k, n));
	for (int j = 0; j < n; j++)
	{
		float		amax = 0.0f;
		float		inv;
		int			p = j / FC_Q8_PANEL,
					jj = j % FC_Q8_PANEL;
		int8_t	   *panel = packed + (size_t) p * kp * FC_Q8_PANEL;

		for (int i = 0; i < k; i++)
			amax = fmaxf(amax, fabsf(w[(size_t) i * n + j]));
		/* an all-zero column: any scale reproduces it */
		scale[j] = amax > 0.0f ? amax / 127.0f : 1.0f;
		inv = amax > 0.0f ? 127.0f / amax : 0.0f;
		for (int i = 0; i < k; i++)
		{
			float		q = rintf(w[(size_t) i * n + j] * inv);
			int			qi = q > 127.0f ? 127 : q < -127.0f ? -127 : (int) q;

			panel[((size_t) (i / FC_Q8_KGROUP) * FC_Q8_PANEL + jj) * FC_Q8_KGROUP +
				  i % FC_Q8_KGROUP] = (int8_t) qi;
			colsum[j] += qi;
		}
	}
	out->k = k;
	out->n = n;
	out->kp = kp;
	out->npanels = np;
	out->packed = packed;
	out->colsum = colsum;
	out->scale = scale;
}

/*
 * The range always contains 0 so that zero padding and ReLU's zeros are
 * exact.  Rounding is rintf of one product, then integer arithmetic: no
 * expression a compiler could contract into an FMA differently per clone.
 */
FC_MULTIVERSION void
fc_q8_quantise_rows(const float *x, size_t ldx, int m, int k,
					uint8_t *a, int kp, float *scale, int32_t *zero)
{
	for (int i = 0; i < m; i++)
	{
		const float *restrict xi = x + (size_t) i * ldx;
		uint8_t    *restrict ai = a + (size_t) i * kp;
		float		lo = 0.0f,
					hi = 0.0f,
					inv;
		int			z;

		for (int t = 0; t < k; t++)
		{
			lo = xi[t] < lo ? xi[t] : lo;
			hi = xi[t] > hi ? xi[t] : hi;
		}
		if (!(hi > lo))
		{
			/* all zeros (or NaN): codes 0 with zero point 0 */
			scale[i] = 1.0f;
			zero[i] = 0;
			memset(ai, 0, kp);
			continue;
		}
		scale[i] = (hi - lo) / 255.0f;
		inv = 255.0f / (hi - lo);
		z = (int) rintf(-lo * inv);
		zero[i] = z;
		for (int t = 0; t < k; t++)
		{
			int			q = (int) rintf(xi[t] * inv) + z;

			ai[t] = (uint8_t) (q < 0 ? 0 : q > 255 ? 255 : q);
		}
		for (int t = k; t < kp; t++)
			ai[t] = 0;
	}
}

static int
qualifies(const fc_conv2d *c)
{
	return c != NULL && c->filters != NULL && c->kh == 1 && c->kw == 1 &&
		c->stride == 1 && c->cin <= FC_Q8_MAX_K;
}

fc_status
fc_q8_attach(fc_conv2d *const *convs, int n, const fc_allocator *alloc,
			 void **block, fc_error *err)
{
	size_t		total = 0;
	char	   *mem;
	fc_q8_weights *desc;
	int			nq = 0;

	*block = NULL;
	for (int i = 0; i < n; i++)
		if (qualifies(convs[i]))
		{
			total += fc_q8_bytes(convs[i]->cin, convs[i]->cout);
			nq++;
		}
	if (nq == 0)
		return FC_OK;
	/* descriptors first, then 64-byte aligned matrices (+63 to align the start) */
	total += ALIGN64((size_t) nq * sizeof(fc_q8_weights)) + 63;
	if ((mem = alloc->alloc(alloc->ctx, total)) == NULL)
		return fc_fail(err, FC_ERR_NOMEM, "out of memory quantising %d convolutions", nq);
	*block = mem;
	desc = (fc_q8_weights *) mem;
	mem = (char *) ALIGN64((size_t) (mem + ALIGN64((size_t) nq * sizeof(fc_q8_weights))));
	for (int i = 0; i < n; i++)
	{
		fc_conv2d  *c = convs[i];

		if (!qualifies(c))
			continue;
		fc_q8_pack(c->filters, c->cin, c->cout, mem, desc);
		mem += fc_q8_bytes(c->cin, c->cout);
		c->q8 = desc++;
	}
	return FC_OK;
}
