/*-------------------------------------------------------------------------
 *
 * golden.h
 *	  Test helpers for comparing the C networks with face-api's numbers in
 *	  test/golden/ (written by test/golden/generate.mjs).
 *
 * fc_golden_input() is the C twin of goldenInput() in generate.mjs: the same
 * seeded pixels, bit for bit, so a network fed with it must reproduce the
 * numbers in test/golden/nets.txt.  fc_golden_find() reads one record of a
 * golden file: records are tab-separated lines "<tag> <fields...>", '#'
 * lines are comments.
 *
 * Header-only (static functions) because each test/unit/test_*.c is its own
 * program; include it as "golden.h".
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_GOLDEN_H
#define FC_GOLDEN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seeds of the fixed inputs, as in generate.mjs. */
#define FC_GOLDEN_SEED_RECOGNITION	1	/* 150x150 */
#define FC_GOLDEN_SEED_LANDMARKS	2	/* 112x112 */
#define FC_GOLDEN_SEED_SSD			3	/* 512x512 */

/*
 * Fill px[h*w*3] (HWC, RGB, values 0..255) with the seeded test image:
 * 16x16 blocks of LCG values averaged with per-pixel LCG values (see the
 * comment on goldenInput() in generate.mjs).  Returns the sum of all pixels,
 * which nets.txt records as input_sum, so a test can check it first.
 */
static inline double
fc_golden_input(float *px, int h, int w, uint32_t seed)
{
	uint32_t	state = seed;
	int			bh = (h + 15) / 16,
				bw = (w + 15) / 16;
	unsigned char *block = malloc((size_t) bh * bw * 3);
	double		sum = 0;

	if (block == NULL)
		return -1;
	for (int i = 0; i < bh * bw * 3; i++)
	{
		state = state * 1664525u + 1013904223u;
		block[i] = (unsigned char) (state >> 24);
	}
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			for (int c = 0; c < 3; c++)
			{
				int			b = block[((y >> 4) * bw + (x >> 4)) * 3 + c];
				int			v;

				state = state * 1664525u + 1013904223u;
				v = (b + (int) (state >> 24)) >> 1;
				px[((size_t) y * w + x) * 3 + c] = (float) v;
				sum += v;
			}
	free(block);
	return sum;
}

/*
 * Path of a file in test/golden, wherever the test runs from: tries
 * $FC_GOLDEN_DIR, then test/golden and ../golden relative to the cwd.
 * Returns an open FILE (caller fcloses) or NULL.
 */
static inline FILE *
fc_golden_open(const char *name)
{
	const char *dirs[] = {getenv("FC_GOLDEN_DIR"), "test/golden", "../golden", "../../test/golden"};
	char		path[1024];

	for (int i = 0; i < 4; i++)
	{
		FILE	   *f;

		if (dirs[i] == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		if ((f = fopen(path, "r")) != NULL)
			return f;
	}
	return NULL;
}

/*
 * Find the n-th (0-based) line of file whose first fields equal key[0..nkey-1]
 * and parse up to max numbers from the fields after the key into out.
 * Returns the count of numbers parsed, or -1 if no such line.
 * Example: fc_golden_find("nets.txt", (const char *[]){"recognition"}, 1, 0, v, 200)
 * gives {128, d0, ..., d127} (the count field comes first).
 */
static inline int
fc_golden_find(const char *file, const char *const *key, int nkey, int n,
			   double *out, int max)
{
	FILE	   *f = fc_golden_open(file);
	static char line[1 << 16];
	int			result = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
	{
		char	   *save = NULL;
		char	   *tok;
		int			k = 0;

		if (line[0] == '#')
			continue;
		line[strcspn(line, "\n")] = '\0';
		tok = strtok_r(line, "\t", &save);
		while (tok != NULL && k < nkey && strcmp(tok, key[k]) == 0)
		{
			k++;
			tok = strtok_r(NULL, "\t", &save);
		}
		if (k < nkey || n-- > 0)
			continue;
		result = 0;
		for (; tok != NULL && result < max; tok = strtok_r(NULL, "\t", &save))
		{
			char	   *end;
			double		v = strtod(tok, &end);

			if (end != tok && *end == '\0')
				out[result++] = v;
		}
		break;
	}
	fclose(f);
	return result;
}

#endif							/* FC_GOLDEN_H */
