/*-------------------------------------------------------------------------
 *
 * test_convert.c
 *	  Unit test of models/convert on a synthetic tfjs manifest.
 *
 * Writes a small manifest whose tensors exercise every rule of the
 * converter (uint8 and uint16 dequantization, raw float32, int32 constants,
 * two shards, batch-norm and scale folding, bias renames, depthwise squeeze,
 * separable convs, a missing bias), runs models/convert on it (building it
 * with make, which rebuilds it if stale; $FACE_CONVERT overrides), and checks every output
 * tensor against values computed here in double from the definitions in
 * models/README.md.  Then feeds it broken manifests, each of which must
 * make convert fail without writing the output.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/nn/weights.h"

#include "unit_check.h"

static char dir[] = "/tmp/test_convert.XXXXXX";
static const char *convert = "models/convert";

/* ---- building the synthetic manifest ---------------------------------- */

static unsigned char bin[4096];
static size_t binlen = 0;
static char manifest[16384];
static size_t mlen = 0;

static void
json(const char *fmt,...)
	__attribute__((format(printf, 1, 2)));

static void
json(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	mlen += vsnprintf(manifest + mlen, sizeof(manifest) - mlen, fmt, ap);
	va_end(ap);
}

static int	nentries = 0;

static void
entry_begin(const char *name, const char *shape, const char *dtype)
{
	json("%s\n  {\"name\": \"%s\", \"shape\": %s, \"dtype\": \"%s\"",
		 nentries++ ? "," : "", name, shape, dtype);
}

/* A raw float32 tensor. */
static void
add_f32(const char *name, const char *shape, const float *v, int n)
{
	entry_begin(name, shape, "float32");
	json("}");
	memcpy(bin + binlen, v, n * sizeof(float));
	binlen += n * sizeof(float);
}

/* A uint8-quantized float32 tensor. */
static void
add_u8(const char *name, const char *shape, const unsigned char *q, int n, double scale, double min)
{
	entry_begin(name, shape, "float32");
	json(", \"quantization\": {\"dtype\": \"uint8\", \"scale\": %.17g, \"min\": %.17g}}", scale, min);
	memcpy(bin + binlen, q, n);
	binlen += n;
}

/* A uint16-quantized float32 tensor (little-endian). */
static void
add_u16(const char *name, const char *shape, const unsigned short *q, int n, double scale, double min)
{
	int			i;

	entry_begin(name, shape, "float32");
	json(", \"quantization\": {\"dtype\": \"uint16\", \"scale\": %.17g, \"min\": %.17g, "
		 "\"original_dtype\": \"float32\"}}", scale, min);
	for (i = 0; i < n; i++)
	{
		bin[binlen++] = q[i] & 0xff;
		bin[binlen++] = q[i] >> 8;
	}
}

static void
write_file(const char *name, const void *data, size_t len)
{
	char		path[512];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
	{
		perror(path);
		exit(2);
	}
}

/* Run convert on dir/m.json -> dir/out.fwt; returns its exit status. */
static int
run_convert(int quiet)
{
	char		cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s %s/m.json %s/out.fwt %s", convert, dir, dir,
			 quiet ? ">/dev/null 2>&1" : ">/dev/null");
	return system(cmd);
}

/* ---- the values ------------------------------------------------------- */

/* res: conv 1x1 2->3 (uint8), bias (uint16), scale weights/biases (float32) */
static const unsigned char res_f_q[6] = {0, 17, 255, 128, 3, 200};
static const double res_f_scale = 0.0123456789, res_f_min = -1.5;
static const unsigned short res_b_q[3] = {0, 40000, 65535};
static const double res_b_scale = 1.0 / 3000, res_b_min = -7.25;
static const float res_sw[3] = {2.5f, -0.75f, 5.0f};
static const float res_sb[3] = {0.125f, -3.0f, 1.0f};

/* m/dw: depthwise 3x3 on 2 channels + batch norm; m/pw: 1x1 2->4 + bn offset */
static float dw_f[18];
static const float bn_gamma[2] = {1.5f, 0.25f};
static const float bn_beta[2] = {-0.5f, 2.0f};
static const float bn_mean[2] = {0.75f, -1.25f};
static const float bn_var[2] = {0.0f, 4.0f};	/* 0: epsilon alone must keep it finite */
static float pw_f[8];
static const float pw_off[4] = {1, 2, 3, 4};

/* p/box: 1x1 4->2 + biases; sep: separable 4->5; nob: conv without bias; fc; anchors */
static float box_f[8];
static const float box_b[2] = {-1, 1};
static float sep_dw[36];
static float sep_pw[20];
static float sep_b[5] = {0.5f, 0.25f, 0, -0.25f, -0.5f};
static float nob_f[4] = {1, 2, 3, 4};
static float fc_w[12];
static float fc_b[3] = {7, 8, 9};
static float anchors[8] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f};
static const int int32_const[2] = {512, 512};

static void
fill(float *v, int n, float base)
{
	int			i;

	for (i = 0; i < n; i++)
		v[i] = base + 0.37f * (float) i - 0.05f * (float) (i * i % 7);
}

static void
build_manifest(void)
{
	unsigned char qconst = 3;

	fill(dw_f, 18, -2);
	fill(pw_f, 8, 1);
	fill(box_f, 8, -1);
	fill(sep_dw, 36, 0.5f);
	fill(sep_pw, 20, -0.5f);
	fill(fc_w, 12, 3);

	json("[{\"paths\": [\"a.bin\", \"b.bin\"], \"weights\": [");
	add_u8("res/conv/filters", "[1, 1, 2, 3]", res_f_q, 6, res_f_scale, res_f_min);
	add_u16("res/conv/bias", "[3]", res_b_q, 3, res_b_scale, res_b_min);
	add_f32("res/scale/weights", "[3]", res_sw, 3);
	add_f32("res/scale/biases", "[3]", res_sb, 3);
	/* int32 graph constants, one raw, one quantized: skipped */
	entry_begin("const/size", "[2]", "int32");
	json("}");
	memcpy(bin + binlen, int32_const, 8);
	binlen += 8;
	entry_begin("const/q", "[]", "int32");
	json(", \"quantization\": {\"dtype\": \"uint8\", \"scale\": 1, \"min\": 3}}");
	bin[binlen++] = qconst;
	add_f32("m/dw/depthwise_weights", "[3, 3, 2, 1]", dw_f, 18);
	add_f32("m/dw/BatchNorm/gamma", "[2]", bn_gamma, 2);
	add_f32("m/dw/BatchNorm/beta", "[2]", bn_beta, 2);
	add_f32("m/dw/BatchNorm/moving_mean", "[2]", bn_mean, 2);
	add_f32("m/dw/BatchNorm/moving_variance", "[2]", bn_var, 2);
	add_f32("m/pw/weights", "[1, 1, 2, 4]", pw_f, 8);
	add_f32("m/pw/convolution_bn_offset", "[4]", pw_off, 4);
	add_f32("p/box/weights", "[1, 1, 4, 2]", box_f, 8);
	add_f32("p/box/biases", "[2]", box_b, 2);
	add_f32("sep/depthwise_filter", "[3, 3, 4, 1]", sep_dw, 36);
	add_f32("sep/pointwise_filter", "[1, 1, 4, 5]", sep_pw, 20);
	add_f32("sep/bias", "[5]", sep_b, 5);
	add_f32("nob/filters", "[1, 1, 2, 2]", nob_f, 4);
	add_f32("fc/weights", "[4, 3]", fc_w, 12);
	add_f32("fc/bias", "[3]", fc_b, 3);
	add_f32("anchors", "[1, 2, 4]", anchors, 8);
	json("\n]}]\n");
}

/* ---- checking the output ---------------------------------------------- */

static const float *
get(fc_weights *w, const char *name, int ndim, int d0, int d1, int d2, int d3)
{
	int			shape[4] = {d0, d1, d2, d3};
	fc_error	err;
	const float *p = fc_weights_get(w, name, ndim, shape, &err);

	CHECK(p != NULL, "%s", err.message);
	return p;
}

/* Tensor name of the given shape must hold exactly the want_size bytes at want */
static void
expect_exact(fc_weights *w, const char *name, int ndim, int d0, int d1, int d2, int d3,
			 const void *want, size_t want_size, const char *what)
{
	const float *p = get(w, name, ndim, d0, d1, d2, d3);

	CHECK(p && memcmp(p, want, want_size) == 0, "%s", what);
}

static void
expect_near(const char *what, int i, double got, double want)
{
	CHECK(fabs(got - want) <= 1e-6 * fmax(1.0, fabs(want)), "%s[%d] = %.9g, expected %.9g",
		  what, i, got, want);
}

static void
check_output(void)
{
	char		path[512];
	fc_weights *w;
	fc_error	err;
	const float *p;
	int			i;

	snprintf(path, sizeof(path), "%s/out.fwt", dir);
	if (fc_weights_open(path, &w, &err) != FC_OK)
	{
		CHECK(0, "%s", err.message);
		return;
	}
	CHECK(fc_weights_count(w) == 16, "count %d", fc_weights_count(w));
	for (i = 0; i < fc_weights_count(w); i++)
	{
		const char *n = fc_weights_name(w, i);

		CHECK(strstr(n, "scale") == NULL && strstr(n, "BatchNorm") == NULL &&
			  strstr(n, "const/") == NULL && strstr(n, "biases") == NULL &&
			  strstr(n, "bn_offset") == NULL, "tensor %s should be gone", n);
	}

	/* scale fold: filters * w[cout], bias * w + b; dequantized as tfjs does */
	p = get(w, "res/conv/filters", 4, 1, 1, 2, 3);
	if (p)
		for (i = 0; i < 6; i++)
		{
			float		f = (float) (res_f_q[i] * res_f_scale + res_f_min);

			expect_near("res/conv/filters", i, p[i], (double) f * res_sw[i % 3]);
		}
	p = get(w, "res/conv/bias", 1, 3, 0, 0, 0);
	if (p)
		for (i = 0; i < 3; i++)
		{
			float		b = (float) (res_b_q[i] * res_b_scale + res_b_min);

			expect_near("res/conv/bias", i, p[i], (double) b * res_sw[i] + res_sb[i]);
		}

	/* batch norm fold, depthwise squeezed */
	p = get(w, "m/dw/depthwise_weights", 3, 3, 3, 2, 0);
	if (p)
		for (i = 0; i < 18; i++)
		{
			int			c = i % 2;
			double		s = bn_gamma[c] / sqrt((double) bn_var[c] + 0.0010000000474974513);

			expect_near("m/dw/depthwise_weights", i, p[i], dw_f[i] * s);
		}
	p = get(w, "m/dw/bias", 1, 2, 0, 0, 0);
	if (p)
		for (i = 0; i < 2; i++)
		{
			double		s = bn_gamma[i] / sqrt((double) bn_var[i] + 0.0010000000474974513);

			expect_near("m/dw/bias", i, p[i], bn_beta[i] - bn_mean[i] * s);
		}

	/* renames and pass-through: exact */
	expect_exact(w, "m/pw/weights", 4, 1, 1, 2, 4, pw_f, sizeof(pw_f), "m/pw/weights");
	expect_exact(w, "m/pw/bias", 1, 4, 0, 0, 0, pw_off, sizeof(pw_off), "m/pw/bias (was convolution_bn_offset)");
	expect_exact(w, "p/box/bias", 1, 2, 0, 0, 0, box_b, sizeof(box_b), "p/box/bias (was biases)");
	expect_exact(w, "p/box/weights", 4, 1, 1, 4, 2, box_f, sizeof(box_f), "p/box/weights");
	expect_exact(w, "sep/depthwise_filter", 3, 3, 3, 4, 0, sep_dw, sizeof(sep_dw), "sep/depthwise_filter squeezed");
	expect_exact(w, "sep/pointwise_filter", 4, 1, 1, 4, 5, sep_pw, sizeof(sep_pw), "sep/pointwise_filter");
	expect_exact(w, "sep/bias", 1, 5, 0, 0, 0, sep_b, sizeof(sep_b), "sep/bias");
	expect_exact(w, "nob/filters", 4, 1, 1, 2, 2, nob_f, sizeof(nob_f), "nob/filters");
	p = get(w, "nob/bias", 1, 2, 0, 0, 0);
	CHECK(p && p[0] == 0.0f && p[1] == 0.0f, "nob/bias added as zeros");
	expect_exact(w, "fc/weights", 2, 4, 3, 0, 0, fc_w, sizeof(fc_w), "fc/weights");
	expect_exact(w, "fc/bias", 1, 3, 0, 0, 0, fc_b, sizeof(fc_b), "fc/bias");
	expect_exact(w, "anchors", 3, 1, 2, 4, 0, anchors, sizeof(anchors), "anchors");
	fc_weights_close(w);
}

/* Write manifest text m with the good shards; convert must fail and write nothing. */
static void
expect_failure(const char *what, const char *m, size_t shard_len)
{
	char		path[512];

	snprintf(path, sizeof(path), "%s/out.fwt", dir);
	unlink(path);
	write_file("m.json", m, strlen(m));
	write_file("a.bin", bin, shard_len < 100 ? shard_len : 100);
	write_file("b.bin", bin + 100, shard_len > 100 ? shard_len - 100 : 0);
	CHECK(run_convert(1) != 0, "%s: convert succeeded", what);
	CHECK(access(path, F_OK) != 0, "%s: output written", what);
}

/* The good manifest with the first occurrence of from replaced by to. */
static char *
edited(const char *from, const char *to)
{
	static char buf[sizeof(manifest) + 256];
	const char *at = strstr(manifest, from);

	if (at == NULL)
	{
		fprintf(stderr, "edit: \"%s\" not in manifest\n", from);
		exit(2);
	}
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int) (at - manifest), manifest, to, at + strlen(from));
	return buf;
}

int
main(void)
{
	char		cmd[256];
	const char *env = getenv("FACE_CONVERT");

	if (env != NULL)
		convert = env;
	else if (system("make -s -C models convert >/dev/null") != 0)
	{
		fprintf(stderr, "test_convert: could not build models/convert\n");
		return 1;
	}
	if (mkdtemp(dir) == NULL)
	{
		perror("mkdtemp");
		return 2;
	}

	build_manifest();
	/* the byte stream split across two shards at an arbitrary point */
	write_file("m.json", manifest, mlen);
	write_file("a.bin", bin, 100);
	write_file("b.bin", bin + 100, binlen - 100);
	CHECK(run_convert(0) == 0, "convert failed on the good manifest");
	check_output();

	expect_failure("shards shorter than the manifest", manifest, binlen - 1);
	expect_failure("shards longer than the manifest", manifest, binlen + 4);
	expect_failure("malformed JSON", edited("\"weights\": [", "\"weights\": [,"), binlen);
	expect_failure("truncated JSON", edited("\n]}]", "\n]"), binlen);
	expect_failure("batch norm without variance",
				   edited("m/dw/BatchNorm/moving_variance", "m/dw/BatchNorm/movingvariance"), binlen);
	expect_failure("depthwise multiplier 2",
				   edited("\"m/dw/depthwise_weights\", \"shape\": [3, 3, 2, 1]",
						  "\"m/dw/depthwise_weights\", \"shape\": [3, 3, 1, 2]"), binlen);
	expect_failure("float16 quantization", edited("\"uint16\"", "\"float16\""), binlen);
	expect_failure("duplicate tensor", edited("\"fc/bias\"", "\"fc/weights\""), binlen);
	expect_failure("bias and biases", edited("\"p/box/weights\"", "\"p/box/bias\""), binlen);
	expect_failure("scale length vs output channels",
				   edited("\"res/conv/filters\", \"shape\": [1, 1, 2, 3]",
						  "\"res/conv/filters\", \"shape\": [1, 1, 3, 2]"), binlen);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	if (failures)
	{
		fprintf(stderr, "test_convert: %d failures\n", failures);
		return 1;
	}
	printf("test_convert: ok\n");
	return 0;
}
