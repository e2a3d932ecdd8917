/*
 * test_golden_input.c: the C twin of generate.mjs's seeded input produces the
 * same pixels as the JavaScript that made test/golden/nets.txt (checked
 * through the pixel sums recorded there), so network tests built on
 * fc_golden_input() compare like with like.
 */
#include <stdio.h>
#include <stdlib.h>

#include "golden.h"

static int
check(const char *tag, int h, int w, uint32_t seed)
{
	double		rec[8];
	float	   *px = malloc(sizeof(float) * h * w * 3);
	double		sum;
	int			n = fc_golden_find("nets.txt", (const char *[]) {tag}, 1, 0, rec, 8);

	if (px == NULL)
		return 1;
	sum = fc_golden_input(px, h, w, seed);
	free(px);
	/* record: h w seed input_sum */
	if (n != 4 || rec[0] != h || rec[1] != w || rec[2] != seed || rec[3] != sum)
	{
		fprintf(stderr, "%s: golden record %d fields (%g %g %g %.0f), C input sum %.0f\n",
				tag, n, rec[0], rec[1], rec[2], rec[3], sum);
		return 1;
	}
	printf("%s: %dx%d seed %u sum %.0f matches\n", tag, h, w, seed, sum);
	return 0;
}

int
main(void)
{
	int			bad = 0;

	bad += check("recognition_input", 150, 150, FC_GOLDEN_SEED_RECOGNITION);
	bad += check("landmarks_input", 112, 112, FC_GOLDEN_SEED_LANDMARKS);
	bad += check("ssd_input", 512, 512, FC_GOLDEN_SEED_SSD);
	return bad != 0;
}
