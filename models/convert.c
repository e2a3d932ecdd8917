/*-------------------------------------------------------------------------
 *
 * convert.c
 *	  Convert a tfjs weights manifest (+ its .bin shards) into a .fwt file.
 *
 *	  convert MANIFEST.json OUT.fwt     convert one network
 *	  convert --list FILE.fwt           print a .fwt file's tensor table
 *
 * What the conversion does, in order (src/core/weights.h states the
 * resulting contract, models/README.md lists every network's tensors):
 *
 *	1. Decode every manifest entry: uint8/uint16-quantized tensors become
 *	   q*scale + min (in double, rounded to float32, as tfjs does), float32
 *	   tensors are taken as they are,
 *	   int32 tensors (the SSD graph's shape constants) are skipped.
 *	2. Fold batch norms (P/BatchNorm/{gamma,beta,moving_mean,moving_variance},
 *	   the SSD's depthwise layers) into the convolution of the same prefix P:
 *	   s = gamma / sqrt(var + eps), filters *= s, bias = (bias - mean)*s + beta,
 *	   with face-api's eps 0.0010000000474974513.  The result is P/bias.
 *	3. Fold "scale" layers (B/scale/{weights,biases}, the recognition
 *	   ResNet: out = (conv(x) + bias)*weights + biases) into B/conv:
 *	   filters *= weights, bias = bias*weights + biases.
 *	4. Rename P/convolution_bn_offset and P/biases to P/bias.
 *	5. Drop the multiplier axis (always 1) of depthwise filters:
 *	   [kh][kw][c][1] -> [kh][kw][c].
 *	6. Give every convolution a P/bias (zeros if it had none) and check the
 *	   bias length against the filter's output channels.
 *	The written file is reopened through the reader and compared.
 *
 *	Folding is computed in double and rounded once to float32.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "core/nn/weights.h"
#include "weights_write.h"

/* face-api's batch norm epsilon (ssdMobilenetv1/mobileNetV1.ts): float32(1e-3) */
#define BN_EPSILON 0.0010000000474974513

#define MAX_SRC_DIMS 4

typedef struct tensor
{
	char		name[256];
	int			ndim;
	int			shape[MAX_SRC_DIMS];
	size_t		count;
	float	   *data;
	int			dropped;		/* folded into another tensor */
} tensor;

typedef struct model
{
	tensor	  **t;				/* pointers, so that tensors never move */
	int			n;
	int			cap;
	/* what was done, for the summary line */
	int			bn_folded,
				scale_folded,
				renamed,
				squeezed,
				zero_bias,
				int32_skipped;
} model;

static const char *progname = "convert";

static void
die(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *
xmalloc(size_t n)
{
	void	   *p = malloc(n ? n : 1);

	if (p == NULL)
		die("out of memory");
	return p;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t		ls = strlen(s),
				lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* Read a whole file into a malloc'd buffer. */
static unsigned char *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	unsigned char *buf;
	long		size;

	if (f == NULL)
		die("could not open \"%s\": %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		die("could not size \"%s\": %s", path, strerror(errno));
	buf = xmalloc((size_t) size + 1);
	if (fread(buf, 1, (size_t) size, f) != (size_t) size)
		die("could not read \"%s\"", path);
	fclose(f);
	buf[size] = '\0';
	*len = (size_t) size;
	return buf;
}

/* The live (not folded away) tensor called name, or NULL. */
static tensor *
find(model *m, const char *name)
{
	int			i;

	for (i = 0; i < m->n; i++)
		if (!m->t[i]->dropped && strcmp(m->t[i]->name, name) == 0)
			return m->t[i];
	return NULL;
}

/* name formatted from fmt; dies if it does not fit. */
static void
make_name(char *out, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(out, 256, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= 256)
		die("tensor name too long");
}

static tensor *
add_tensor(model *m, const char *name, int ndim, const int *shape)
{
	tensor	   *t;
	int			d;

	if (find(m, name) != NULL)
		die("tensor \"%s\" appears twice", name);
	if (m->n == m->cap)
	{
		m->cap = m->cap ? m->cap * 2 : 256;
		m->t = realloc(m->t, m->cap * sizeof(tensor *));
		if (m->t == NULL)
			die("out of memory");
	}
	t = xmalloc(sizeof(tensor));
	m->t[m->n++] = t;
	memset(t, 0, sizeof(*t));
	make_name(t->name, "%s", name);
	t->ndim = ndim;
	t->count = 1;
	for (d = 0; d < ndim; d++)
	{
		t->shape[d] = shape[d];
		t->count *= (size_t) shape[d];
	}
	t->data = xmalloc(t->count * sizeof(float));
	return t;
}

/* ---------------------------------------------------------------------
 * Step 1: decoding the manifest
 * --------------------------------------------------------------------- */

static const char *
str_member(const json_value *o, const char *key, const char *what)
{
	const json_value *v = json_get(o, key);

	if (v == NULL || v->type != JSON_STRING)
		die("%s: missing string \"%s\"", what, key);
	return v->string;
}

static double
num_member(const json_value *o, const char *key, const char *what)
{
	const json_value *v = json_get(o, key);

	if (v == NULL || v->type != JSON_NUMBER)
		die("%s: missing number \"%s\"", what, key);
	return v->number;
}

/*
 * Decode one manifest entry from buf[*pos..] into m (or skip it), advancing
 * *pos by the bytes it occupies.
 */
static void
decode_entry(model *m, const json_value *e, const unsigned char *buf, size_t len, size_t *pos)
{
	const char *name = str_member(e, "name", "manifest entry");
	const char *dtype = str_member(e, "dtype", name);
	const json_value *shape = json_get(e, "shape");
	const json_value *q = json_get(e, "quantization");
	int			dims[MAX_SRC_DIMS];
	size_t		count = 1,
				elsize,
				i;
	int			d;
	tensor	   *t;

	if (shape == NULL || shape->type != JSON_ARRAY || shape->count > MAX_SRC_DIMS)
		die("%s: shape missing or of more than %d dimensions", name, MAX_SRC_DIMS);
	for (d = 0; d < shape->count; d++)
	{
		double		v = shape->items[d].number;

		if (shape->items[d].type != JSON_NUMBER || v < 1 || v > (1 << 24) || v != floor(v))
			die("%s: bad dimension %d", name, d);
		dims[d] = (int) v;
		count *= (size_t) dims[d];
	}

	if (q != NULL)
	{
		const char *qtype = str_member(q, "dtype", name);

		if (strcmp(qtype, "uint8") == 0)
			elsize = 1;
		else if (strcmp(qtype, "uint16") == 0)
			elsize = 2;
		else
			die("%s: unsupported quantization \"%s\"", name, qtype);
	}
	else if (strcmp(dtype, "float32") == 0 || strcmp(dtype, "int32") == 0)
		elsize = 4;
	else
		die("%s: unsupported dtype \"%s\"", name, dtype);

	if (count > (len - *pos) / elsize)
		die("%s: needs %zu bytes at offset %zu, the weights are %zu bytes",
			name, count * elsize, *pos, len);

	if (strcmp(dtype, "int32") == 0)
	{
		/* graph constants of the SSD (slice bounds, reshape sizes): not weights */
		m->int32_skipped++;
		*pos += count * elsize;
		return;
	}
	if (strcmp(dtype, "float32") != 0)
		die("%s: unsupported dtype \"%s\"", name, dtype);

	t = add_tensor(m, name, shape->count, dims);
	if (q != NULL)
	{
		/*
		 * Exactly tfjs's decodeWeight(): value = q * scale + min evaluated
		 * in double (JavaScript numbers, scale and min as parsed from the
		 * JSON) and rounded once to float32.  Float32 arithmetic would differ
		 * in the last bit for some values.
		 */
		double		scale = num_member(q, "scale", name);
		double		min = num_member(q, "min", name);

		for (i = 0; i < count; i++)
		{
			unsigned	qv = elsize == 1 ? buf[*pos + i]
				: (unsigned) (buf[*pos + 2 * i] | (buf[*pos + 2 * i + 1] << 8));

			t->data[i] = (float) ((double) qv * scale + min);
		}
	}
	else
		memcpy(t->data, buf + *pos, count * sizeof(float));	/* little-endian, like the host */
	*pos += count * elsize;
}

static void
load_manifest(model *m, const char *manifest_path)
{
	size_t		len;
	char	   *text = (char *) read_file(manifest_path, &len);
	char		err[256];
	json_value *root = json_parse(text, len, err, sizeof(err));
	char		dir[1024];
	const char *slash = strrchr(manifest_path, '/');
	int			g;

	if (root == NULL)
		die("%s: %s", manifest_path, err);
	if (root->type != JSON_ARRAY)
		die("%s: expected an array of weight groups", manifest_path);
	if (slash != NULL)
		snprintf(dir, sizeof(dir), "%.*s/", (int) (slash - manifest_path), manifest_path);
	else
		dir[0] = '\0';

	for (g = 0; g < root->count; g++)
	{
		const json_value *group = &root->items[g];
		const json_value *paths = json_get(group, "paths");
		const json_value *weights = json_get(group, "weights");
		unsigned char *buf = NULL;
		size_t		total = 0,
					pos = 0;
		int			i;

		if (paths == NULL || paths->type != JSON_ARRAY ||
			weights == NULL || weights->type != JSON_ARRAY)
			die("%s: group %d lacks \"paths\" or \"weights\"", manifest_path, g);

		/* a group's shards are one byte stream */
		for (i = 0; i < paths->count; i++)
		{
			char		path[2048];
			size_t		n;
			unsigned char *part;

			if (paths->items[i].type != JSON_STRING)
				die("%s: group %d: bad path", manifest_path, g);
			snprintf(path, sizeof(path), "%s%s", dir, paths->items[i].string);
			part = read_file(path, &n);
			buf = realloc(buf, total + n + 1);
			if (buf == NULL)
				die("out of memory");
			memcpy(buf + total, part, n);
			total += n;
			free(part);
		}
		for (i = 0; i < weights->count; i++)
			decode_entry(m, &weights->items[i], buf, total, &pos);
		if (pos != total)
			die("%s: group %d: the manifest describes %zu bytes, its shards hold %zu",
				manifest_path, g, pos, total);
		free(buf);
	}
	json_free(root);
	free(text);
}

/* ---------------------------------------------------------------------
 * Steps 2-6: folding and renaming
 * --------------------------------------------------------------------- */

/*
 * Number of output channels of a convolution filter and the element stride
 * pattern: channel of element i is i % cout for HWIO filters and for
 * depthwise [kh][kw][c][1] filters alike.
 */
static int
filter_channels(const tensor *f)
{
	if (f->ndim != 4)
		die("%s: expected a 4-D filter", f->name);
	if (ends_with(f->name, "/depthwise_weights") || ends_with(f->name, "/depthwise_filter"))
	{
		if (f->shape[3] != 1)
			die("%s: depthwise channel multiplier %d is not supported", f->name, f->shape[3]);
		return f->shape[2];
	}
	return f->shape[3];
}

static void
expect_len(const tensor *t, size_t n)
{
	if (t->ndim != 1 || t->count != n)
		die("%s: expected %zu values", t->name, n);
}

/* P/bias, created as zeros of length n if missing (the n of an existing one is checked). */
static tensor *
bias_of(model *m, const char *prefix, int n)
{
	char		name[256];
	tensor	   *b;

	make_name(name, "%s/bias", prefix);
	b = find(m, name);
	if (b == NULL)
	{
		b = add_tensor(m, name, 1, &n);
		memset(b->data, 0, n * sizeof(float));
		m->zero_bias++;
	}
	expect_len(b, n);
	return b;
}

/* The live tensor prefix/suffix, or death. */
static tensor *
need(model *m, const char *prefix, const char *suffix)
{
	char		name[256];
	tensor	   *t;

	make_name(name, "%s/%s", prefix, suffix);
	if ((t = find(m, name)) == NULL)
		die("tensor \"%s\" is missing", name);
	return t;
}

/* The prefix of name before suffix (which name ends with). */
static void
prefix_of(char *out, const char *name, const char *suffix)
{
	make_name(out, "%.*s", (int) (strlen(name) - strlen(suffix)), name);
}

/*
 * Step 2: P/BatchNorm/{gamma,beta,moving_mean,moving_variance} folded into
 * P/depthwise_weights (or P/weights) and P/bias.  face-api computes
 * batchNorm(conv(x)) = (conv(x) - mean) * gamma / sqrt(var + eps) + beta.
 */
static void
fold_batch_norms(model *m)
{
	int			i;

	for (i = 0; i < m->n; i++)
	{
		tensor	   *gamma = m->t[i],
				   *beta,
				   *mean,
				   *var,
				   *f,
				   *b;
		char		prefix[256],
					name[256];
		double	   *s,
					old_bias;
		size_t		k;
		int			c,
					C;

		if (gamma->dropped || !ends_with(gamma->name, "/BatchNorm/gamma"))
			continue;
		prefix_of(prefix, gamma->name, "/BatchNorm/gamma");
		make_name(name, "%s/depthwise_weights", prefix);
		if ((f = find(m, name)) == NULL)
			f = need(m, prefix, "weights");
		C = filter_channels(f);
		beta = need(m, prefix, "BatchNorm/beta");
		mean = need(m, prefix, "BatchNorm/moving_mean");
		var = need(m, prefix, "BatchNorm/moving_variance");
		expect_len(gamma, C);
		expect_len(beta, C);
		expect_len(mean, C);
		expect_len(var, C);

		s = xmalloc(C * sizeof(double));
		for (c = 0; c < C; c++)
		{
			if (var->data[c] + BN_EPSILON <= 0)
				die("%s: negative variance in channel %d", prefix, c);
			s[c] = gamma->data[c] / sqrt((double) var->data[c] + BN_EPSILON);
		}
		for (k = 0; k < f->count; k++)
			f->data[k] = (float) (f->data[k] * s[k % C]);

		/* the bias takes the place of gamma in the file unless the conv had one */
		make_name(name, "%s/bias", prefix);
		b = find(m, name);
		if (b == NULL)
		{
			b = gamma;
			make_name(b->name, "%s", name);
		}
		else
			gamma->dropped = 1;
		expect_len(b, C);
		for (c = 0; c < C; c++)
		{
			old_bias = (b == gamma) ? 0.0 : b->data[c];
			b->data[c] = (float) ((old_bias - mean->data[c]) * s[c] + beta->data[c]);
		}
		beta->dropped = mean->dropped = var->dropped = 1;
		free(s);
		m->bn_folded++;
	}
}

/*
 * Step 3: B/scale/{weights,biases} folded into B/conv/{filters,bias}.
 * face-api (faceRecognitionNet/convLayer.ts) computes
 * (conv(x) + bias) * weights + biases.
 */
static void
fold_scales(model *m)
{
	int			i,
				n = m->n;

	for (i = 0; i < n; i++)
	{
		tensor	   *w = m->t[i],
				   *sb,
				   *f,
				   *b;
		char		base[256],
					conv[256];
		size_t		k;
		int			c,
					C;

		if (w->dropped || !ends_with(w->name, "/scale/weights"))
			continue;
		prefix_of(base, w->name, "/scale/weights");
		make_name(conv, "%s/conv", base);
		sb = need(m, base, "scale/biases");
		f = need(m, conv, "filters");
		C = filter_channels(f);
		expect_len(w, C);
		expect_len(sb, C);
		b = bias_of(m, conv, C);

		for (k = 0; k < f->count; k++)
			f->data[k] = (float) ((double) f->data[k] * w->data[k % C]);
		for (c = 0; c < C; c++)
			b->data[c] = (float) ((double) b->data[c] * w->data[c] + sb->data[c]);
		w->dropped = sb->dropped = 1;
		m->scale_folded++;
	}
}

/* Step 4: P/convolution_bn_offset and P/biases become P/bias. */
static void
rename_biases(model *m)
{
	static const char *const suffixes[] = {"/convolution_bn_offset", "/biases"};
	int			i,
				j;

	for (i = 0; i < m->n; i++)
		for (j = 0; j < 2; j++)
		{
			tensor	   *t = m->t[i];
			char		prefix[256],
						name[256];

			if (t->dropped || !ends_with(t->name, suffixes[j]))
				continue;
			prefix_of(prefix, t->name, suffixes[j]);
			make_name(name, "%s/bias", prefix);
			if (find(m, name) != NULL)
				die("%s: both %s and a bias", prefix, suffixes[j] + 1);
			make_name(t->name, "%s", name);
			m->renamed++;
		}
}

/* Step 5: depthwise filters [kh][kw][c][1] -> [kh][kw][c]. */
static void
squeeze_depthwise(model *m)
{
	int			i;

	for (i = 0; i < m->n; i++)
	{
		tensor	   *t = m->t[i];

		if (t->dropped ||
			!(ends_with(t->name, "/depthwise_weights") || ends_with(t->name, "/depthwise_filter")))
			continue;
		(void) filter_channels(t);	/* checks 4-D with multiplier 1 */
		t->ndim = 3;
		m->squeezed++;
	}
}

/*
 * Step 6: every convolution has P/bias of its output channel count.  A
 * separable convolution (P/depthwise_filter + P/pointwise_filter) is one
 * layer with one bias, after the pointwise part.
 */
static void
ensure_biases(model *m)
{
	int			i,
				n = m->n;

	for (i = 0; i < n; i++)
	{
		tensor	   *t = m->t[i];
		char		prefix[256];

		if (t->dropped)
			continue;
		if (ends_with(t->name, "/depthwise_filter"))
		{
			prefix_of(prefix, t->name, "/depthwise_filter");
			(void) need(m, prefix, "pointwise_filter");
			continue;
		}
		if (ends_with(t->name, "/depthwise_weights"))
		{
			prefix_of(prefix, t->name, "/depthwise_weights");
			(void) bias_of(m, prefix, t->shape[2]);
			continue;
		}
		if (t->ndim != 4)
			continue;
		if (ends_with(t->name, "/pointwise_filter"))
			prefix_of(prefix, t->name, "/pointwise_filter");
		else if (ends_with(t->name, "/filters"))
			prefix_of(prefix, t->name, "/filters");
		else if (ends_with(t->name, "/weights"))
			prefix_of(prefix, t->name, "/weights");
		else
			die("%s: a 4-D tensor that is not a known kind of filter", t->name);
		(void) bias_of(m, prefix, t->shape[3]);
	}
}

/* ---------------------------------------------------------------------
 * Output
 * --------------------------------------------------------------------- */

static void
format_shape(char *buf, size_t len, int ndim, const int *shape)
{
	size_t		used = snprintf(buf, len, "[");
	int			d;

	for (d = 0; d < ndim && used < len; d++)
		used += snprintf(buf + used, len - used, d ? ", %d" : "%d", shape[d]);
	if (used < len)
		snprintf(buf + used, len - used, "]");
}

static void
write_model(model *m, const char *out)
{
	fc_wtensor *wt = xmalloc(m->n * sizeof(fc_wtensor));
	fc_weights *w;
	fc_error	err;
	size_t		floats = 0;
	int			i,
				n = 0;

	for (i = 0; i < m->n; i++)
	{
		tensor	   *t = m->t[i];

		if (t->dropped)
			continue;
		wt[n].name = t->name;
		wt[n].ndim = t->ndim;
		memcpy(wt[n].shape, t->shape, sizeof(t->shape));
		wt[n].data = t->data;
		floats += t->count;
		n++;
	}
	if (fc_weights_write(out, wt, n, &err) != FC_OK)
		die("%s", err.message);

	/* read it back through the reader the backend uses */
	if (fc_weights_open(out, &w, &err) != FC_OK)
		die("written file does not load: %s", err.message);
	if (fc_weights_count(w) != n)
		die("%s: wrote %d tensors, read %d", out, n, fc_weights_count(w));
	for (i = 0; i < n; i++)
	{
		const float *p = fc_weights_get(w, wt[i].name, wt[i].ndim, wt[i].shape, &err);
		size_t		cnt = 1;
		int			d;

		for (d = 0; d < wt[i].ndim; d++)
			cnt *= wt[i].shape[d];
		if (p == NULL || memcmp(p, wt[i].data, cnt * sizeof(float)) != 0)
			die("%s: tensor \"%s\" does not read back", out, wt[i].name);
	}
	fc_weights_close(w);

	printf("%s: %d tensors, %zu floats; folded %d batch norms and %d scale layers, "
		   "renamed %d biases, squeezed %d depthwise filters, added %d zero biases, "
		   "skipped %d int32 constants\n",
		   out, n, floats, m->bn_folded, m->scale_folded, m->renamed, m->squeezed,
		   m->zero_bias, m->int32_skipped);
	free(wt);
}

static int
list_file(const char *path)
{
	fc_weights *w;
	fc_error	err;
	int			i;

	if (fc_weights_open(path, &w, &err) != FC_OK)
		die("%s", err.message);
	for (i = 0; i < fc_weights_count(w); i++)
	{
		int			shape[FC_WEIGHTS_MAX_DIMS];
		int			ndim = fc_weights_shape(w, i, shape);
		char		buf[64];

		format_shape(buf, sizeof(buf), ndim, shape);
		printf("%s %s\n", fc_weights_name(w, i), buf);
	}
	fc_weights_close(w);
	return 0;
}

int
main(int argc, char **argv)
{
	model		m;
	int			i;

	if (argc == 3 && strcmp(argv[1], "--list") == 0)
		return list_file(argv[2]);
	if (argc != 3 || argv[1][0] == '-')
	{
		fprintf(stderr, "usage: %s MANIFEST.json OUT.fwt\n       %s --list FILE.fwt\n",
				progname, progname);
		return 2;
	}

	memset(&m, 0, sizeof(m));
	load_manifest(&m, argv[1]);
	fold_batch_norms(&m);
	fold_scales(&m);
	rename_biases(&m);
	squeeze_depthwise(&m);
	ensure_biases(&m);
	write_model(&m, argv[2]);

	for (i = 0; i < m.n; i++)
	{
		free(m.t[i]->data);
		free(m.t[i]);
	}
	free(m.t);
	return 0;
}
