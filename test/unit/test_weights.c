/*-------------------------------------------------------------------------
 *
 * test_weights.c
 *	  Unit test of the .fwt reader and writer (src/core/weights*.c).
 *
 * Writes small synthetic files and checks that good ones load with the
 * exact data at aligned addresses, that lookups check shapes, and that
 * every damaged file -- truncated at any length, any single bit flipped,
 * trailing bytes, or structurally wrong with valid checksums -- is refused
 * with FC_ERR_MODEL and a message naming the defect.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/nn/weights.h"
#include "core/nn/weights_format.h"
#include "weights_write.h"

#include "unit_check.h"

static char dir[] = "/tmp/test_weights.XXXXXX";
static char path[256];

static float conv_w[3 * 3 * 2 * 4];
static float conv_b[4];
static float scalar = 0.0078125f;
static float big[200];

static fc_wtensor sample[] = {
	{"net/conv0/filters", 4, {3, 3, 2, 4}, conv_w},
	{"net/conv0/bias", 1, {4}, conv_b},
	{"Preprocessor/mul/x", 0, {0}, &scalar},
	{"fc/weights", 2, {25, 8}, big},
};
#define NSAMPLE ((int) (sizeof(sample) / sizeof(sample[0])))

static void
write_bytes(const unsigned char *buf, size_t len)
{
	FILE	   *f = fopen(path, "wb");

	if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
	{
		perror(path);
		exit(2);
	}
}

/* Open path, expecting failure with a message containing want (NULL: any). */
static void
expect_refused(const char *what, const char *want)
{
	fc_weights *w = NULL;
	fc_error	err = {0};
	fc_status	st = fc_weights_open(path, &w, &err);

	CHECK(st == FC_ERR_MODEL && w == NULL, "%s: status %d", what, (int) st);
	CHECK(err.status == FC_ERR_MODEL, "%s: err.status %d", what, (int) err.status);
	if (want != NULL)
		CHECK(strstr(err.message, want) != NULL, "%s: message \"%s\" lacks \"%s\"",
			  what, err.message, want);
	if (w != NULL)
		fc_weights_close(w);
}

static void
test_roundtrip(void)
{
	fc_weights *w;
	fc_error	err = {0};
	const float *p;
	int			shape[FC_WEIGHTS_MAX_DIMS];
	int			i;

	CHECK(fc_weights_write(path, sample, NSAMPLE, &err) == FC_OK, "write: %s", err.message);
	CHECK(access(path, F_OK) == 0, "file written");
	CHECK(fc_weights_open(path, &w, &err) == FC_OK, "open: %s", err.message);
	if (failures)
		return;

	CHECK(fc_weights_count(w) == NSAMPLE, "count %d", fc_weights_count(w));
	for (i = 0; i < NSAMPLE; i++)
	{
		int			ndim = fc_weights_shape(w, i, shape);

		CHECK(strcmp(fc_weights_name(w, i), sample[i].name) == 0, "name %d", i);
		CHECK(ndim == sample[i].ndim, "ndim %d", i);
		CHECK(memcmp(shape, sample[i].shape, ndim * sizeof(int)) == 0, "shape %d", i);

		p = fc_weights_get(w, sample[i].name, sample[i].ndim, sample[i].shape, &err);
		CHECK(p != NULL, "get %s: %s", sample[i].name, err.message);
		if (p != NULL)
		{
			size_t		n = 1;
			int			d;

			for (d = 0; d < sample[i].ndim; d++)
				n *= sample[i].shape[d];
			CHECK(memcmp(p, sample[i].data, n * sizeof(float)) == 0, "data of %s", sample[i].name);
			CHECK((uintptr_t) p % 64 == 0, "alignment of %s", sample[i].name);
		}
	}
	CHECK(fc_weights_name(w, NSAMPLE) == NULL, "name out of range");
	CHECK(fc_weights_shape(w, -1, shape) == -1, "shape out of range");

	/* shape mismatch: wrong rank, wrong dimension */
	{
		int			s3[] = {3, 3, 2};
		int			s4[] = {3, 3, 2, 5};

		p = fc_weights_get(w, "net/conv0/filters", 3, s3, &err);
		CHECK(p == NULL && err.status == FC_ERR_MODEL, "rank mismatch accepted");
		CHECK(strstr(err.message, "has shape [3,3,2,4], expected [3,3,2]") != NULL, "msg: %s", err.message);
		p = fc_weights_get(w, "net/conv0/filters", 4, s4, &err);
		CHECK(p == NULL && strstr(err.message, "expected [3,3,2,5]") != NULL, "msg: %s", err.message);
		p = fc_weights_get(w, "net/conv1/filters", 4, s4, &err);
		CHECK(p == NULL && strstr(err.message, "\"net/conv1/filters\" not found") != NULL,
			  "msg: %s", err.message);
		p = fc_weights_get(w, "Preprocessor/mul/x", 0, NULL, &err);
		CHECK(p != NULL && *p == scalar, "scalar lookup");
	}
	fc_weights_close(w);
}

static void
test_writer_rejects(void)
{
	fc_error	err = {0};
	fc_wtensor	dup[2] = {sample[0], sample[0]};
	fc_wtensor	bad = sample[1];

	CHECK(fc_weights_write(path, dup, 2, &err) == FC_ERR_INVALID_ARGUMENT, "duplicate accepted");
	bad.shape[0] = 0;
	CHECK(fc_weights_write(path, &bad, 1, &err) == FC_ERR_INVALID_ARGUMENT, "zero dim accepted");
	bad = sample[1];
	bad.ndim = FC_WEIGHTS_MAX_DIMS + 1;
	CHECK(fc_weights_write(path, &bad, 1, &err) == FC_ERR_INVALID_ARGUMENT, "ndim 5 accepted");
	bad = sample[1];
	bad.name = "";
	CHECK(fc_weights_write(path, &bad, 1, &err) == FC_ERR_INVALID_ARGUMENT, "empty name accepted");
}

static void
test_empty_and_missing(void)
{
	fc_weights *w;
	fc_error	err = {0};

	CHECK(fc_weights_write(path, NULL, 0, &err) == FC_OK, "write empty: %s", err.message);
	CHECK(fc_weights_open(path, &w, &err) == FC_OK, "open empty: %s", err.message);
	if (w != NULL)
	{
		CHECK(fc_weights_count(w) == 0, "empty count");
		fc_weights_close(w);
	}
	unlink(path);
	expect_refused("missing file", "could not open weights file");
	write_bytes((const unsigned char *) "", 0);
	expect_refused("empty file", "truncated");
}

/* Every prefix of a good file is refused as truncated. */
static void
test_truncation(const unsigned char *image, size_t size)
{
	size_t		len;
	char		what[64];

	for (len = 0; len < size; len += (len < 256 ? 1 : 61))
	{
		write_bytes(image, len);
		snprintf(what, sizeof(what), "truncated to %zu of %zu bytes", len, size);
		expect_refused(what, "truncated");
	}
	write_bytes(image, size - 1);
	expect_refused("last byte missing", "truncated");
}

/*
 * Every single-bit flip anywhere in the file is refused.  The good file is
 * written once and each byte is flipped and restored in place.
 */
static void
test_bit_flips(const unsigned char *image, size_t size)
{
	unsigned char *copy;
	size_t		byte;
	int			bit;
	char		what[64];
	FILE	   *f;

	write_bytes(image, size);
	f = fopen(path, "r+b");
	if (f == NULL)
	{
		perror(path);
		exit(2);
	}
	setvbuf(f, NULL, _IONBF, 0);
	for (byte = 0; byte < size; byte++)
		for (bit = 0; bit < 8; bit++)
		{
			unsigned char b = image[byte] ^ (unsigned char) (1 << bit);

			fseek(f, (long) byte, SEEK_SET);
			fwrite(&b, 1, 1, f);
			snprintf(what, sizeof(what), "bit %d of byte %zu flipped", bit, byte);
			expect_refused(what, NULL);
			fseek(f, (long) byte, SEEK_SET);
			fwrite(&image[byte], 1, 1, f);
		}
	fclose(f);

	copy = malloc(size);
	/* specific messages for the common cases */
	memcpy(copy, image, size);
	copy[0] = 'X';
	write_bytes(copy, size);
	expect_refused("bad magic", "bad magic");
	memcpy(copy, image, size);
	copy[FWT_H_VERSION] = 2;
	write_bytes(copy, size);
	expect_refused("version 2", "format version 2");
	memcpy(copy, image, size);
	copy[size - 1] ^= 1;
	write_bytes(copy, size);
	expect_refused("payload flip", "tensor data checksum mismatch");
	memcpy(copy, image, size);
	copy[FWT_HEADER_SIZE + 3] ^= 0x10;	/* high bits of a name offset */
	write_bytes(copy, size);
	expect_refused("table flip", "checksum mismatch");
	free(copy);

	copy = malloc(size + 64);
	memcpy(copy, image, size);
	memset(copy + size, 0, 64);
	write_bytes(copy, size + 64);
	expect_refused("trailing bytes", "longer than its header says");
	free(copy);
}

/*
 * Recompute the meta checksum after editing the header or the table, over
 * the region up to payload_off (0: the one the edited header names).
 */
static void
reseal_at(unsigned char *img, uint64_t payload_off)
{
	uint64_t	sum;

	if (payload_off == 0)
		memcpy(&payload_off, img + FWT_H_PAYLOAD_OFF, 8);
	sum = fwt_checksum(FWT_CHECKSUM_INIT, img, FWT_H_META_SUM);
	sum = fwt_checksum(sum, img + FWT_HEADER_SIZE, payload_off - FWT_HEADER_SIZE);
	memcpy(img + FWT_H_META_SUM, &sum, 8);
}

static void
reseal(unsigned char *img)
{
	reseal_at(img, 0);
}

/*
 * Structurally wrong files whose checksums are right: the bounds checks
 * must hold on their own, not rely on the checksum.
 */
static void
test_structure(const unsigned char *image, size_t size)
{
	unsigned char *img = malloc(size);
	unsigned char *e1 = img + FWT_HEADER_SIZE + FWT_ENTRY_SIZE;	/* "net/conv0/bias" */
	uint32_t	v32;
	uint64_t	v64;

#define EDIT(field, type, value, what, want) \
	do { \
		type v_ = (value); \
		memcpy(img, image, size); \
		memcpy(e1 + (field), &v_, sizeof(v_)); \
		reseal(img); \
		write_bytes(img, size); \
		expect_refused(what, want); \
	} while (0)

	EDIT(FWT_E_DATA_OFF, uint64_t, 4, "misaligned tensor", "outside the payload or is misaligned");
	EDIT(FWT_E_DATA_OFF, uint64_t, 1 << 20, "tensor past payload", "outside the payload");
	EDIT(FWT_E_DATA_OFF, uint64_t, UINT64_MAX - 63, "offset wraps", "outside the payload");
	EDIT(FWT_E_COUNT, uint64_t, 5, "count vs shape", "has 5 elements, its shape says 4");
	EDIT(FWT_E_DIMS, uint32_t, 1u << 31, "huge dim", "dimension 0 of size");
	EDIT(FWT_E_DIMS, uint32_t, 0, "zero dim", "dimension 0 of size 0");
	EDIT(FWT_E_NDIM, uint32_t, 5, "ndim 5", "5 dimensions");
	EDIT(FWT_E_DTYPE, uint32_t, 7, "unknown dtype", "unknown type");
	EDIT(FWT_E_NAME_OFF, uint32_t, 1u << 30, "name out of table", "name outside the name table");
	EDIT(FWT_E_NAME_LEN, uint32_t, 0, "empty name", "name outside the name table");
	EDIT(FWT_E_NAME_LEN, uint32_t, 3, "name without NUL", "malformed name");
	/* the second tensor's name offset pointing at the first's name: a duplicate */
	EDIT(FWT_E_NAME_OFF, uint32_t, 0, "duplicate via offset", NULL);

	/* payload tensor overlapping the end: element count grown with matching dims */
	memcpy(img, image, size);
	v32 = 1000;
	memcpy(e1 + FWT_E_DIMS, &v32, 4);
	v64 = 1000;
	memcpy(e1 + FWT_E_COUNT, &v64, 8);
	reseal(img);
	write_bytes(img, size);
	expect_refused("tensor overruns payload", "outside the payload");

	/* header bounds */
	memcpy(img, image, size);
	v32 = 1u << 30;
	memcpy(img + FWT_H_COUNT, &v32, 4);
	reseal(img);
	write_bytes(img, size);
	expect_refused("absurd tensor count", "table or payload bounds");
	memcpy(img, image, size);
	memcpy(&v64, img + FWT_H_PAYLOAD_OFF, 8);
	v64 += 64;
	memcpy(img + FWT_H_PAYLOAD_OFF, &v64, 8);
	reseal(img);
	write_bytes(img, size);
	expect_refused("payload offset moved", "header says");
	free(img);
#undef EDIT
}

/*
 * Random damage to the header and table with the checksum recomputed, so
 * that only the structural checks stand between the bytes and the reader:
 * each file must be refused with FC_ERR_MODEL, or load with every tensor
 * readable in full (reading outside the mapping would crash here).
 */
static void
test_random_structure(const unsigned char *image, size_t size, int rounds)
{
	unsigned char *img = malloc(size);
	uint64_t	payload_off;
	uint32_t	state = 42;
	int			r,
				loaded = 0;

	memcpy(&payload_off, image + FWT_H_PAYLOAD_OFF, 8);
	for (r = 0; r < rounds; r++)
	{
		fc_weights *w = NULL;
		fc_error	err = {0};
		fc_status	st;
		int			k,
					nmut;

		memcpy(img, image, size);
		state = state * 1664525u + 1013904223u;
		nmut = 1 + (state >> 30);
		for (k = 0; k < nmut; k++)
		{
			size_t		pos;

			state = state * 1664525u + 1013904223u;
			/* anywhere in [8, payload_off) but the checksum fields: header after the magic, table, names */
			pos = 8 + (state >> 8) % (payload_off - 8);
			if (pos >= FWT_H_META_SUM && pos < FWT_HEADER_SIZE)
				continue;
			state = state * 1664525u + 1013904223u;
			/* small values and single bit flips are what reach deep into the checks */
			img[pos] = (state >> 31) ? (unsigned char) (state >> 8) : img[pos] ^ (unsigned char) (1 << ((state >> 8) & 7));
		}
		reseal_at(img, payload_off);	/* the header's own value may be damaged */
		write_bytes(img, size);
		st = fc_weights_open(path, &w, &err);
		CHECK(st == FC_OK || st == FC_ERR_MODEL, "round %d: status %d", r, (int) st);
		if (st == FC_OK)
		{
			int			i;
			volatile float sum = 0;

			loaded++;
			for (i = 0; i < fc_weights_count(w); i++)
			{
				int			shape[FC_WEIGHTS_MAX_DIMS];
				int			ndim = fc_weights_shape(w, i, shape);
				const float *p = fc_weights_get(w, fc_weights_name(w, i), ndim, shape, &err);
				size_t		n = 1,
							j;
				int			d;

				CHECK(p != NULL && (uintptr_t) p % 64 == 0, "round %d: tensor %d", r, i);
				for (d = 0; d < ndim; d++)
					n *= shape[d];
				for (j = 0; p != NULL && j < n; j++)
					sum += p[j];
			}
			fc_weights_close(w);
		}
		else
			CHECK(err.message[0] != '\0', "round %d: empty message", r);
	}
	/* a mutation in the names or the unused dims can leave the file valid */
	printf("random structure: %d rounds, %d still loadable\n", rounds, loaded);
	free(img);
}

int
main(int argc, char **argv)
{
	unsigned char *image;
	size_t		size;
	fc_error	err = {0};
	int			i;

	if (mkdtemp(dir) == NULL)
	{
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/t.fwt", dir);
	for (i = 0; i < (int) (sizeof(conv_w) / sizeof(float)); i++)
		conv_w[i] = (float) i * 0.25f - 3.0f;
	for (i = 0; i < 4; i++)
		conv_b[i] = -1.5f + i;
	for (i = 0; i < 200; i++)
		big[i] = (float) (i % 17) / 7.0f;

	test_roundtrip();
	test_writer_rejects();
	test_empty_and_missing();

	if (fc_weights_image(sample, NSAMPLE, &image, &size, &err) != FC_OK)
	{
		fprintf(stderr, "image: %s\n", err.message);
		return 1;
	}
	test_truncation(image, size);
	test_bit_flips(image, size);
	test_structure(image, size);
	test_random_structure(image, size, argc > 1 ? atoi(argv[1]) : 1000);
	free(image);

	unlink(path);
	rmdir(dir);
	if (failures)
	{
		fprintf(stderr, "test_weights: %d failures\n", failures);
		return 1;
	}
	printf("test_weights: ok\n");
	return 0;
}
