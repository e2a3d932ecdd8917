/*-------------------------------------------------------------------------
 *
 * netinput.c
 *	  Pad-to-square and TensorFlow-legacy bilinear resize of an RGB image
 *	  into a network's float input (see netinput.h for the exact rule).
 *
 * The padded square is never materialised: a sample outside the image
 * reads as zero, which is exactly what interpolating over face-api's
 * zero-filled padding gives, including the blend across the image edge.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stddef.h>

#include "netinput.h"

/* One axis of the resize: where output cell i reads in the padded square. */
typedef struct axis_sample
{
	int			lo;				/* floor(source coordinate), image coordinates */
	int			hi;				/* min(ceil(source coordinate), side - 1), image coordinates */
	float		frac;			/* source coordinate - floor */
} axis_sample;

/*
 * Source cells of output cell i along an axis of the padded square (side
 * cells, the image starting at offset), resized to size cells.  Floats,
 * as tfjs's wasm kernel computes them.
 */
static inline axis_sample
axis_at(int i, int side, int size, int offset)
{
	float		ratio = (float) side / (float) size;
	float		src = ratio * (float) i;
	float		fl = floorf(src);
	float		ce = ceilf(src);
	axis_sample s;

	if (ce > (float) (side - 1))
		ce = (float) (side - 1);
	s.lo = (int) fl - offset;
	s.hi = (int) ce - offset;
	s.frac = src - fl;
	return s;
}

/* Pixel (x, y) channel k of the image, zero outside it. */
static inline float
pixel(const uint8_t *rgb, int w, int h, int stride, int x, int y, int k)
{
	if (x < 0 || y < 0 || x >= w || y >= h)
		return 0.0f;
	return (float) rgb[(size_t) y * stride + (size_t) x * 3 + k];
}

void
fc_netinput_square(const uint8_t *rgb, int w, int h, int stride,
				   int size, int centered, float *out)
{
	int			side = w > h ? w : h;
	int			diff = side - (w > h ? h : w);
	/* padToSquare appends round(diff/2) (JS rounds .5 up) when centred */
	int			before = centered ? diff - (diff + 1) / 2 : 0;
	int			offx = w < h ? before : 0;
	int			offy = h < w ? before : 0;

	for (int r = 0; r < size; r++)
	{
		axis_sample sy = axis_at(r, side, size, offy);

		for (int c = 0; c < size; c++)
		{
			axis_sample sx = axis_at(c, side, size, offx);
			float	   *o = out + ((size_t) r * size + c) * 3;

			for (int k = 0; k < 3; k++)
			{
				float		tl = pixel(rgb, w, h, stride, sx.lo, sy.lo, k);
				float		tr = pixel(rgb, w, h, stride, sx.hi, sy.lo, k);
				float		bl = pixel(rgb, w, h, stride, sx.lo, sy.hi, k);
				float		br = pixel(rgb, w, h, stride, sx.hi, sy.hi, k);
				float		top = tl + (tr - tl) * sx.frac;
				float		bottom = bl + (br - bl) * sx.frac;

				o[k] = top + (bottom - top) * sy.frac;
			}
		}
	}
}

void
fc_netinput_reshaped(int w, int h, int size, int *rw, int *rh)
{
	/* computeReshapedDimensions in doubles, Math.round = floor(x + 0.5) */
	double		scale = (double) size / (double) (w > h ? w : h);

	*rw = (int) floor((double) w * scale + 0.5);
	*rh = (int) floor((double) h * scale + 0.5);
}
