/*-------------------------------------------------------------------------
 *
 * align.c
 *	  dlib's face chip: template fit (get_face_chip_details) and chip
 *	  extraction with an anti-aliasing pyramid (extract_image_chip).
 *
 * The steps, each reproducing the dlib function named (see align.h):
 *
 * 1. Template fit (get_face_chip_details + chip_details's constructor).
 *    The template point i, in [0,1] mean-face units, goes to chip pixel
 *    (padding + m_i) / (1 + 2 padding) * size.  The least-squares
 *    similarity from those chip points to the landmarks (dlib's
 *    find_similarity_transform, i.e. Umeyama's method; in 2-D without
 *    reflection it has the closed form used below) gives scale s and angle
 *    t; the chip is then the rectangle centred on the image of the chip
 *    centre, cols*s by rows*s, rotated by t.
 *
 * 2. Pyramid (extract_image_chips).  Bilinear sampling a chip from a face
 *    several times bigger would skip pixels and alias, so dlib first
 *    halves the neighbourhood of the chip with pyramid_down<2> (a 5-tap
 *    [1 4 6 4 1] binomial filter in each direction, every other pixel
 *    kept) until one more halving would make the rectangle smaller than
 *    the chip.  Only a bounding box around the rotated rectangle, grown by
 *    a border that covers the filter support at every level, is filtered.
 *
 * 3. Sampling (transform_image + interpolate_bilinear).  The affine map
 *    sending chip corners (0,0), (cols-1,0), (0,rows-1) to the rotated
 *    rectangle's corners in the chosen level gives each chip pixel a source
 *    point; the value is bilinear from its 4 neighbours, or black if any of
 *    them lies outside the level, truncated to 8 bits.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "align.h"

/*
 * dlib's mean face: positions of landmarks 17..67 in [0,1] units
 * (dlib/image_transforms/interpolation.h, get_face_chip_details).
 */
static const double mean_face_x[51] = {
	0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124,
	0.904991, 0.98004, 0.490127, 0.490127, 0.490127, 0.490127, 0.36688, 0.426036,
	0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918,
	0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149,
	0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721,
	0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874,
	0.553364, 0.490127, 0.42689
};
static const double mean_face_y[51] = {
	0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891,
	0.0187482, 0.038915, 0.106454, 0.203352, 0.307009, 0.409805, 0.515625, 0.587326,
	0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733,
	0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099,
	0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805,
	0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746,
	0.784792, 0.824182, 0.831803, 0.824182
};

/* ---- dlib geometry, as far as the chip needs it ---- */

typedef struct drect
{
	double		l,
				t,
				r,
				b;
} drect;

static int
drect_empty(drect d)
{
	return d.t > d.b || d.l > d.r;
}

static double
drect_area(drect d)
{
	return drect_empty(d) ? 0.0 : (d.r - d.l + 1) * (d.b - d.t + 1);
}

/* pyramid_down<2>::point_down: the level-down position of a point. */
static void
point_down(double *x, double *y)
{
	*x = *x / 2.0 - 1.25;
	*y = *y / 2.0 - 0.75;
}

static drect
rect_down(drect d)
{
	point_down(&d.l, &d.t);
	point_down(&d.r, &d.b);
	return d;
}

/* rotate_point(center, p, angle) */
static void
rotate_about(double cx, double cy, double px, double py, double angle, double *ox, double *oy)
{
	double		c = cos(angle),
				s = sin(angle);

	*ox = cx + (px - cx) * c - (py - cy) * s;
	*oy = cy + (px - cx) * s + (py - cy) * c;
}

/* drectangle -> rectangle conversion: each side rounded half up. */
static long
round_half_up(double v)
{
	return (long) floor(v + 0.5);
}

/* ---- step 1: template fit ---- */

int
fc_face_template_point(int i, int size, double padding, double *u, double *v)
{
	/* dlib ignores the jaw (0-16), eyebrows (17-26) and lower lip (55-59, 65-67) */
	if (i < 27 || i >= FC_LANDMARK_COUNT || (i >= 55 && i <= 59) || i >= 65)
		return 0;
	*u = (padding + mean_face_x[i - 17]) / (2 * padding + 1) * size;
	*v = (padding + mean_face_y[i - 17]) / (2 * padding + 1) * size;
	return 1;
}

fc_status
fc_face_chip_details(const float *landmarks, int size, double padding,
					 fc_chip_details *out, fc_error *err)
{
	double		fu[FC_LANDMARK_COUNT],
				fv[FC_LANDMARK_COUNT],
				px[FC_LANDMARK_COUNT],
				py[FC_LANDMARK_COUNT];
	double		mfu = 0,
				mfv = 0,
				mx = 0,
				my = 0,
				sdot = 0,
				scross = 0,
				norm = 0;
	double		a,
				b,
				scale,
				cx,
				cy,
				w,
				h;
	int			n = 0;

	memset(out, 0, sizeof(*out));
	if (landmarks == NULL || size < 1 || !(padding >= 0) || !isfinite(padding))
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT,
					   "face chip needs 68 landmarks, a positive size and a padding >= 0");

	for (int i = 0; i < FC_LANDMARK_COUNT; i++)
	{
		double		u,
					v;

		if (!fc_face_template_point(i, size, padding, &u, &v))
			continue;
		if (!isfinite(landmarks[2 * i]) || !isfinite(landmarks[2 * i + 1]))
			return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "landmark %d is not a finite point", i);
		fu[n] = u;
		fv[n] = v;
		px[n] = landmarks[2 * i];
		py[n] = landmarks[2 * i + 1];
		mfu += u;
		mfv += v;
		mx += px[n];
		my += py[n];
		n++;
	}
	mfu /= n;
	mfv /= n;
	mx /= n;
	my /= n;

	/*
	 * Least squares over z -> (a + ib) z + t in complex notation: with both
	 * point sets centred, a + ib = sum(conj(f) p) / sum(|f|^2).  Umeyama's
	 * SVD solution (what dlib computes) reduces to this in 2-D when the
	 * rotation is proper, which a similarity always is here.
	 */
	for (int k = 0; k < n; k++)
	{
		double		u = fu[k] - mfu,
					v = fv[k] - mfv,
					x = px[k] - mx,
					y = py[k] - my;

		sdot += u * x + v * y;
		scross += u * y - v * x;
		norm += u * u + v * v;
	}
	a = sdot / norm;
	b = scross / norm;
	scale = hypot(a, b);
	if (!(scale > 1e-9) || !isfinite(scale))
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "landmarks are degenerate (all at one point)");

	out->a = a;
	out->b = b;
	out->tx = mx - (a * mfu - b * mfv);
	out->ty = my - (b * mfu + a * mfv);
	out->angle = atan2(b, a);
	out->rows = out->cols = size;

	/* centered_drect(tform(chip centre), cols*scale, rows*scale) */
	cx = a * (size / 2.0) - b * (size / 2.0) + out->tx;
	cy = b * (size / 2.0) + a * (size / 2.0) + out->ty;
	w = size * scale - 1;
	h = size * scale - 1;
	out->left = cx - w / 2;
	out->right = cx + w / 2;
	out->top = cy - h / 2;
	out->bottom = cy + h / 2;
	return FC_OK;
}

/* ---- step 2: the pyramid ---- */

/* A read-only RGB view: a whole image or a sub-rectangle of one. */
typedef struct view
{
	const uint8_t *p;
	size_t		stride;
	long		w,
				h;
} view;

/*
 * pyramid_down<2> on RGB (impl::pyramid_down_2_1): out is (w-3)/2 x
 * (h-3)/2; output (c, r) is the [1 4 6 4 1] x [1 4 6 4 1] / 256 weighted
 * sum of the input block whose top-left is (2c, 2r), truncated.  Inputs of
 * side 8 or less give an empty output (dlib's rule).  tmp holds
 * h * ((w-3)/2) * 3 uint16 row-filtered sums.
 */
static void
pyramid_down2(view in, uint16_t *tmp, fc_image *out)
{
	long		ow = (in.w - 3) / 2,
				oh = (in.h - 3) / 2;

	for (long r = 0; r < in.h; r++)
	{
		const uint8_t *s = in.p + (size_t) r * in.stride;
		uint16_t   *t = tmp + (size_t) r * ow * 3;

		for (long c = 0; c < ow; c++)
			for (int k = 0; k < 3; k++)
			{
				const uint8_t *q = s + (size_t) (2 * c) * 3 + k;

				t[3 * c + k] = (uint16_t) (q[0] + 4 * q[3] + 6 * q[6] + 4 * q[9] + q[12]);
			}
	}
	for (long dr = 0; dr < oh; dr++)
	{
		long		r = 2 * dr + 2;
		const uint16_t *t0 = tmp + (size_t) (r - 2) * ow * 3;
		size_t		rs = (size_t) ow * 3;
		uint8_t    *d = out->pixels + (size_t) dr * out->stride;

		for (long c = 0; c < ow * 3; c++)
		{
			/* fits in 16 bits: 16 * 16 * 255 = 65280 */
			unsigned	v = t0[c] + 4u * t0[rs + c] + 6u * t0[2 * rs + c] +
				4u * t0[3 * rs + c] + t0[4 * rs + c];

			d[c] = (uint8_t) (v / 256);
		}
	}
}

/* ---- step 3: sampling ---- */

/*
 * transform_image(level, chip, interpolate_bilinear(), affine): chip pixel
 * (c, r) samples level point o + c*dx + r*dy.
 */
static void
sample_chip(view src, double ox, double oy, double dxx, double dxy, double dyx, double dyy,
			fc_image *chip)
{
	for (int r = 0; r < chip->height; r++)
	{
		uint8_t    *d = chip->pixels + (size_t) r * chip->stride;

		for (int c = 0; c < chip->width; c++)
		{
			double		x = ox + c * dxx + r * dyx;
			double		y = oy + c * dxy + r * dyy;
			long		left = (long) floor(x),
						top = (long) floor(y);

			if (!(left >= 0 && top >= 0 && left + 1 < src.w && top + 1 < src.h))
			{
				d[3 * c] = d[3 * c + 1] = d[3 * c + 2] = 0;
				continue;
			}
			{
				double		fx = x - left,
							fy = y - top;
				const uint8_t *p0 = src.p + (size_t) top * src.stride + 3 * (size_t) left;
				const uint8_t *p1 = p0 + src.stride;

				for (int k = 0; k < 3; k++)
				{
					double		v = (1 - fy) * ((1 - fx) * p0[k] + fx * p0[3 + k]) +
						fy * ((1 - fx) * p1[k] + fx * p1[3 + k]);

					/* dlib's assign_pixel(unsigned char, double): clamp, truncate */
					d[3 * c + k] = v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t) v;
				}
			}
		}
	}
}

/* impl::basic_extract_image_chip: a plain copy of rect, black outside img. */
static void
copy_chip(const fc_image *img, long l, long t, fc_image *chip)
{
	for (int r = 0; r < chip->height; r++)
	{
		uint8_t    *d = chip->pixels + (size_t) r * chip->stride;

		for (int c = 0; c < chip->width; c++)
		{
			long		x = l + c,
						y = t + r;

			if (x < 0 || y < 0 || x >= img->width || y >= img->height)
				memset(d + 3 * c, 0, 3);
			else
				memcpy(d + 3 * c, img->pixels + (size_t) y * img->stride + 3 * (size_t) x, 3);
		}
	}
}

fc_status
fc_extract_image_chip(const fc_image *img, const fc_chip_details *cd,
					  const fc_allocator *allocator, fc_image *chip, fc_error *err)
{
	drect		rect = {cd->left, cd->top, cd->right, cd->bottom};
	double		chip_area = (double) cd->rows * cd->cols;
	double		cx,
				cy,
				grow = 2,
				corner[4][2];
	drect		rot = {0, 0, -1, -1};
	long		bl,
				bt,
				br,
				bb;
	int			depth = 0,
				level;
	fc_image	levels[2] = {{0}};	/* the current and previous level */
	uint16_t   *tmp = NULL;
	view		src;
	fc_status	st;

	memset(chip, 0, sizeof(*chip));
	if (img == NULL || img->pixels == NULL || cd->rows < 1 || cd->cols < 1 || drect_empty(rect) ||
		!isfinite(cd->left + cd->top + cd->right + cd->bottom + cd->angle))
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "invalid image or chip rectangle");

	st = fc_image_alloc(chip, cd->cols, cd->rows, allocator, err);
	if (st != FC_OK)
		return st;

	/* no rotation or scaling: dlib copies the pixels */
	if (cd->angle == 0 && cd->rows == rect.b - rect.t + 1 && cd->cols == rect.r - rect.l + 1)
	{
		copy_chip(img, round_half_up(rect.l), round_half_up(rect.t), chip);
		return FC_OK;
	}

	/* pyramid depth, and the border each halving needs */
	{
		drect		d = rect_down(rect);

		while (drect_area(d) > chip_area)
		{
			d = rect_down(d);
			depth++;
			grow = grow * 2 + 2;
		}
	}

	/* bounding box of the rotated rectangle, grown, clipped, rounded */
	cx = (rect.l + rect.r) / 2;
	cy = (rect.t + rect.b) / 2;
	rotate_about(cx, cy, rect.l, rect.t, cd->angle, &corner[0][0], &corner[0][1]);
	rotate_about(cx, cy, rect.r, rect.t, cd->angle, &corner[1][0], &corner[1][1]);
	rotate_about(cx, cy, rect.l, rect.b, cd->angle, &corner[2][0], &corner[2][1]);
	rotate_about(cx, cy, rect.r, rect.b, cd->angle, &corner[3][0], &corner[3][1]);
	for (int k = 0; k < 4; k++)
	{
		if (k == 0)
			rot = (drect) {corner[0][0], corner[0][1], corner[0][0], corner[0][1]};
		rot.l = fmin(rot.l, corner[k][0]);
		rot.t = fmin(rot.t, corner[k][1]);
		rot.r = fmax(rot.r, corner[k][0]);
		rot.b = fmax(rot.b, corner[k][1]);
	}
	bl = round_half_up(fmax(rot.l - grow, 0));
	bt = round_half_up(fmax(rot.t - grow, 0));
	br = round_half_up(fmin(rot.r + grow, img->width - 1));
	bb = round_half_up(fmin(rot.b + grow, img->height - 1));
	if (bl > br || bt > bb)
	{
		/* the chip lies wholly outside the image */
		memset(chip->pixels, 0, chip->stride * chip->height);
		return FC_OK;
	}
	src.p = img->pixels + (size_t) bt * img->stride + 3 * (size_t) bl;
	src.stride = img->stride;
	src.w = br - bl + 1;
	src.h = bb - bt + 1;

	/* the level to sample from, and the rectangle in its coordinates */
	rect.l -= bl;
	rect.r -= bl;
	rect.t -= bt;
	rect.b -= bt;
	level = -1;
	while (drect_area(rect_down(rect)) > chip_area)
	{
		level++;
		rect = rect_down(rect);
	}

	/* build levels 0..level, keeping only the last two */
	if (level >= 0)
	{
		size_t		tmp_len = (size_t) src.h * (size_t) ((src.w > 3 ? src.w - 3 : 0) / 2 + 1) * 3;

		tmp = allocator->alloc(allocator->ctx, tmp_len * sizeof(uint16_t));
		if (tmp == NULL)
		{
			fc_image_free(chip, allocator);
			return fc_fail(err, FC_ERR_NOMEM, "out of memory for the chip pyramid");
		}
	}
	for (int lv = 0; lv <= level; lv++)
	{
		fc_image   *dst = &levels[lv & 1];
		long		ow = (src.w - 3) / 2,
					oh = (src.h - 3) / 2;

		if (src.w <= 8 || src.h <= 8 || ow < 1 || oh < 1)
		{
			/* dlib's pyramid gives an empty level: nothing to sample */
			src.w = src.h = 0;
			break;
		}
		fc_image_free(dst, allocator);
		st = fc_image_alloc(dst, (int) ow, (int) oh, allocator, err);
		if (st != FC_OK)
		{
			fc_image_free(&levels[0], allocator);
			fc_image_free(&levels[1], allocator);
			allocator->free(allocator->ctx, tmp);
			fc_image_free(chip, allocator);
			return st;
		}
		pyramid_down2(src, tmp, dst);
		src.p = dst->pixels;
		src.stride = dst->stride;
		src.w = dst->width;
		src.h = dst->height;
	}
	if (tmp != NULL)
		allocator->free(allocator->ctx, tmp);

	/* affine map from chip corners to the rotated rectangle's corners */
	{
		double		tlx,
					tly,
					trx,
					try_,
					blx,
					bly;
		double		rcx = (rect.l + rect.r) / 2,
					rcy = (rect.t + rect.b) / 2;
		double		cw = cd->cols > 1 ? cd->cols - 1 : 1,
					ch = cd->rows > 1 ? cd->rows - 1 : 1;

		rotate_about(rcx, rcy, rect.l, rect.t, cd->angle, &tlx, &tly);
		rotate_about(rcx, rcy, rect.r, rect.t, cd->angle, &trx, &try_);
		rotate_about(rcx, rcy, rect.l, rect.b, cd->angle, &blx, &bly);
		sample_chip(src, tlx, tly, (trx - tlx) / cw, (try_ - tly) / cw,
					(blx - tlx) / ch, (bly - tly) / ch, chip);
	}
	fc_image_free(&levels[0], allocator);
	fc_image_free(&levels[1], allocator);
	return FC_OK;
}

fc_status
fc_crop_chip(const fc_image *img, const double *box, double pad, int size,
			 const fc_allocator *allocator, fc_image *chip, fc_error *err)
{
	double		x,
				y,
				w,
				h,
				side,
				cx,
				cy;
	fc_chip_details cd;

	memset(chip, 0, sizeof(*chip));
	if (img == NULL || img->pixels == NULL || size < 1 || !(pad >= 0) || !isfinite(pad))
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "invalid image, chip size or padding for a crop");
	if (box != NULL)
	{
		x = box[0];
		y = box[1];
		w = box[2];
		h = box[3];
		if (!(w > 0 && h > 0) || !isfinite(x + y + w + h))
			return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "crop box must have a positive size");
	}
	else
	{
		x = y = 0;
		w = img->width;
		h = img->height;
	}
	side = fmax(w, h) * (1 + 2 * pad);
	cx = x + w / 2 - 0.5;		/* centre in pixel-centre coordinates */
	cy = y + h / 2 - 0.5;

	memset(&cd, 0, sizeof(cd));
	cd.left = cx - (side - 1) / 2;
	cd.right = cx + (side - 1) / 2;
	cd.top = cy - (side - 1) / 2;
	cd.bottom = cy + (side - 1) / 2;
	cd.rows = cd.cols = size;
	cd.a = side / size;
	cd.tx = cd.left;
	cd.ty = cd.top;
	return fc_extract_image_chip(img, &cd, allocator, chip, err);
}
