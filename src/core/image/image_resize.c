/*-------------------------------------------------------------------------
 *
 * image_resize.c
 *	  Resample a region of an RGB image into a float NHWC tensor.
 *
 * The networks read float tensors of fixed size (512x512 for the detector,
 * 112x112 for landmarks, 150x150 for recognition), built by face-api as
 * "crop, pad to a square with zeros, resize bilinearly".  One pass here does
 * all three: the source rectangle sits on a virtual zero canvas, and each
 * output pixel is interpolated from the canvas, so no intermediate image is
 * ever allocated.
 *
 * Coordinates are computed in double and the result stored as float, as
 * tfjs's CPU kernel does (JavaScript numbers, Float32Array output).
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "image_int.h"

/* A resolved region: the source rectangle on its zero canvas. */
typedef struct canvas
{
	const fc_image *img;
	int			x0,
				y0;				/* source pixel under canvas (offset_x, offset_y) */
	int			w,
				h;				/* rectangle size */
	int			ox,
				oy;				/* rectangle offset on the canvas */
	int			cw,
				ch;				/* canvas size */
} canvas;

/* Canvas pixel (cx, cy), channel values into v[3]; zero off the rectangle. */
static inline void
canvas_get(const canvas *c, int cx, int cy, double v[3])
{
	int			rx = cx - c->ox,
				ry = cy - c->oy;

	if (rx < 0 || ry < 0 || rx >= c->w || ry >= c->h)
	{
		v[0] = v[1] = v[2] = 0.0;
		return;
	}
	{
		const uint8_t *p = c->img->pixels + (size_t) (c->y0 + ry) * c->img->stride +
			3 * (size_t) (c->x0 + rx);

		v[0] = p[0];
		v[1] = p[1];
		v[2] = p[2];
	}
}

/* Bilinear blend of canvas pixels around (sx, sy); taps clamped to the canvas. */
static void
bilinear(const canvas *c, double sx, double sy, double out[3])
{
	int			x0 = (int) floor(sx),
				y0 = (int) floor(sy);
	int			x1 = x0 + 1 < c->cw ? x0 + 1 : c->cw - 1,
				y1 = y0 + 1 < c->ch ? y0 + 1 : c->ch - 1;
	double		fx = sx - x0,
				fy = sy - y0;
	double		tl[3],
				tr[3],
				bl[3],
				br[3];

	canvas_get(c, x0, y0, tl);
	canvas_get(c, x1, y0, tr);
	canvas_get(c, x0, y1, bl);
	canvas_get(c, x1, y1, br);
	for (int k = 0; k < 3; k++)
	{
		/* tfjs's order of operations: top and bottom rows, then between them */
		double		top = tl[k] + (tr[k] - tl[k]) * fx;
		double		bottom = bl[k] + (br[k] - bl[k]) * fx;

		out[k] = top + (bottom - top) * fy;
	}
}

/* Mean of the canvas over [sx0, sx1) x [sy0, sy1), partial pixels weighted. */
static void
area_mean(const canvas *c, double sx0, double sx1, double sy0, double sy1, double out[3])
{
	double		acc[3] = {0, 0, 0};
	double		total = 0;
	int			ya = (int) floor(sy0),
				yb = (int) ceil(sy1),
				xa = (int) floor(sx0),
				xb = (int) ceil(sx1);

	if (yb > c->ch)
		yb = c->ch;
	if (xb > c->cw)
		xb = c->cw;
	for (int y = ya; y < yb; y++)
	{
		double		wy = fmin(sy1, y + 1.0) - fmax(sy0, (double) y);

		if (wy <= 0)
			continue;
		for (int x = xa; x < xb; x++)
		{
			double		wx = fmin(sx1, x + 1.0) - fmax(sx0, (double) x);
			double		v[3];

			if (wx <= 0)
				continue;
			canvas_get(c, x, y, v);
			acc[0] += v[0] * wx * wy;
			acc[1] += v[1] * wx * wy;
			acc[2] += v[2] * wx * wy;
			total += wx * wy;
		}
	}
	for (int k = 0; k < 3; k++)
		out[k] = total > 0 ? acc[k] / total : 0.0;
}

fc_status
fc_image_resize_float(const fc_image *src, const fc_region *region,
					  fc_resize_mode mode, const fc_pixel_norm *norm,
					  float *dst, int dst_width, int dst_height, fc_error *err)
{
	canvas		c;
	double		scale_x,
				scale_y;

	if (src == NULL || src->pixels == NULL || src->width <= 0 || src->height <= 0 ||
		dst == NULL || dst_width <= 0 || dst_height <= 0)
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "empty source or destination for resize");

	c.img = src;
	if (region == NULL)
	{
		c.x0 = c.y0 = c.ox = c.oy = 0;
		c.w = c.cw = src->width;
		c.h = c.ch = src->height;
	}
	else
	{
		c.x0 = region->x;
		c.y0 = region->y;
		c.w = region->width;
		c.h = region->height;
		c.ox = region->offset_x;
		c.oy = region->offset_y;
		c.cw = region->canvas_width > 0 ? region->canvas_width : region->width;
		c.ch = region->canvas_height > 0 ? region->canvas_height : region->height;
		if (c.w <= 0 || c.h <= 0 || c.x0 < 0 || c.y0 < 0 ||
			c.x0 > src->width - c.w || c.y0 > src->height - c.h)
			return fc_fail(err, FC_ERR_INVALID_ARGUMENT,
						   "resize region %dx%d at (%d,%d) is not inside the %dx%d image",
						   c.w, c.h, c.x0, c.y0, src->width, src->height);
		if (c.ox < 0 || c.oy < 0 || c.ox > c.cw - c.w || c.oy > c.ch - c.h)
			return fc_fail(err, FC_ERR_INVALID_ARGUMENT,
						   "resize region %dx%d at offset (%d,%d) is not inside its %dx%d canvas",
						   c.w, c.h, c.ox, c.oy, c.cw, c.ch);
	}

	scale_x = (double) c.cw / dst_width;
	scale_y = (double) c.ch / dst_height;

	for (int oy = 0; oy < dst_height; oy++)
	{
		float	   *row = dst + (size_t) oy * dst_width * 3;

		for (int ox = 0; ox < dst_width; ox++)
		{
			double		v[3];

			switch (mode)
			{
				case FC_RESIZE_BILINEAR_TF:
					bilinear(&c, ox * scale_x, oy * scale_y, v);
					break;
				case FC_RESIZE_BILINEAR:
					bilinear(&c, fmax(0.0, (ox + 0.5) * scale_x - 0.5),
							 fmax(0.0, (oy + 0.5) * scale_y - 0.5), v);
					break;
				case FC_RESIZE_AREA:
				default:
					area_mean(&c, ox * scale_x, (ox + 1) * scale_x,
							  oy * scale_y, (oy + 1) * scale_y, v);
					break;
			}
			for (int k = 0; k < 3; k++)
				row[3 * ox + k] = norm != NULL ? (float) (v[k] * norm->scale[k] + norm->bias[k])
					: (float) v[k];
		}
	}
	return FC_OK;
}
