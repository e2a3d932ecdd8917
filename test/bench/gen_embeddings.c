/*-------------------------------------------------------------------------
 *
 * gen_embeddings.c
 *	  Write N random embeddings as a PostgreSQL binary COPY stream, for
 *	  the exact-scan benchmark: rows (id int4, emb face_embedding).
 *
 *	  gen_embeddings N DIM SEED | psql -c "COPY t FROM STDIN (FORMAT binary)"
 *
 * Elements are uniform in [-1, 1) from a seeded xorshift generator, so a
 * run is reproducible; the embedding's binary form is the type's recv
 * format (int16 dim, int16 model 0, float4s, all big-endian).
 *
 *-------------------------------------------------------------------------
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state;

static float
next_uniform(void)
{
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return (float) ((double) ((state * 0x2545F4914F6CDD1DULL) >> 40) / 16777216.0 * 2.0 - 1.0);
}

static void
put16(uint16_t v)
{
	v = htons(v);
	fwrite(&v, 2, 1, stdout);
}

static void
put32(uint32_t v)
{
	v = htonl(v);
	fwrite(&v, 4, 1, stdout);
}

int
main(int argc, char **argv)
{
	long		n;
	int			dim;
	static const char signature[11] = "PGCOPY\n\377\r\n";

	if (argc != 4 || (n = atol(argv[1])) < 1 || (dim = atoi(argv[2])) < 1 || dim > 2048)
	{
		fprintf(stderr, "usage: gen_embeddings N DIM SEED\n");
		return 2;
	}
	state = strtoull(argv[3], NULL, 10) * 0x9E3779B97F4A7C15ULL + 1;

	fwrite(signature, 1, sizeof(signature), stdout);
	put32(0);					/* flags */
	put32(0);					/* header extension length */
	for (long i = 1; i <= n; i++)
	{
		put16(2);				/* fields */
		put32(4);
		put32((uint32_t) i);	/* id */
		put32(4 + 4 * dim);
		put16((uint16_t) dim);
		put16(0);				/* model: unknown */
		for (int j = 0; j < dim; j++)
		{
			float		f = next_uniform();
			uint32_t	bits;

			memcpy(&bits, &f, 4);
			put32(bits);
		}
	}
	put16(0xffff);				/* trailer */
	return ferror(stdout) ? 1 : 0;
}
