/*-------------------------------------------------------------------------
 *
 * facebench.c
 *	  libpq driver for the ANN benchmark: runs one prepared statement per
 *	  input line from one or more clients and reports throughput, latency
 *	  and the quality of the answers.
 *
 * Usage:
 *	  facebench -d CONNINFO -f INPUT.tsv -s SQL [-c COLS] [-g GT.txt]
 *				[-L BASE.labels] [-k 10] [-n LINES] [-w WARMUP] [-t CLIENTS]
 *				[-p SETUP_SQL] [-l LABEL]
 *
 *	  -f  tab-separated input, one execution per line; -c lists the 1-based
 *		  columns bound as $1, $2, ... in text form (default 4: the vector of
 *		  a facegen queries file; use 1,2,3 to INSERT base-format rows)
 *	  -s  the statement, prepared once per connection; for searches its first
 *		  result column must be the row id
 *	  -g  exact ground truth from facegt (line i belongs to input line i)
 *	  -L  base labels from facegen (identity of base row id), enabling the
 *		  identity metrics; input column 2 is then the query's identity and
 *		  column 3 whether that person is in the base (1) or not (0)
 *	  -w  warm-up passes before the measured one (default 0; keep 0 for
 *		  INSERTs)
 *	  -t  clients, one connection and one thread each; every client runs
 *		  every line once, starting at a different offset, and
 *		  qps = executions / wall time of the measured pass
 *	  -p  SQL run first on every connection (e.g. a SET of a search GUC)
 *
 * Output: one line of key=value pairs
 *	  label clients execs wall_s qps mean_ms p50_ms p99_ms max_ms
 *	  recall10   |returned ids within first k  ∩  exact top k| / k   (-g)
 *	  recall1    first returned id is the exact nearest row           (-g)
 *	  match      share of the query person's base photos in the first k
 *				 rows, over queries of people in the base             (-L)
 *	  rank1      the first row is a photo of the query person, over
 *				 queries of people in the base                        (-L)
 *	  rows       mean rows returned;  short = executions with fewer than k
 *
 * Exits non-zero if any execution fails, so a benchmark never reports
 * figures from a run with errors.
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#define MAXCOLS		8
#define MAXCLIENTS	64

typedef struct Line
{
	const char *param[MAXCOLS];
	long		identity;		/* column 2 (queries), -1 if absent */
	int			known;			/* column 3 == "1" */
} Line;

typedef struct Outcome			/* one execution */
{
	double		ms;
	int			rows;
	int			gt_hits;		/* returned ∩ exact top k */
	int			top1_exact;
	int			id_hits;		/* rows that are photos of the query person */
	int			top1_identity;
} Outcome;

static const char *conninfo, *sql, *setup_sql, *label = "";
static int	ncols, cols[MAXCOLS] = {4};
static int	k = 10, warmup = 0, nclients = 1;
static Line *lines;
static long nlines;
static long *gt;				/* [line][k] exact ids, or NULL */
static int32_t *labels;			/* identity of base row id, or NULL */
static long nlabels;
static int *photos;				/* base photos per identity (identity < nlabels) */
static Outcome *outcome;		/* [client][line] */
static pthread_barrier_t start_line;
static double t_begin, t_end[MAXCLIENTS];

static void
die(const char *msg, const char *detail)
{
	fprintf(stderr, "facebench: %s%s%s\n", msg, detail ? ": " : "", detail ? detail : "");
	exit(1);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Read the input file; the strings live as long as the process. */
static void
read_lines(const char *path, long limit)
{
	FILE	   *f = fopen(path, "r");
	char	   *buf = NULL;
	size_t		cap = 0;
	long		alloc = 0;

	if (!f)
		die("cannot open", path);
	while (getline(&buf, &cap, f) > 0 && (limit <= 0 || nlines < limit))
	{
		char	   *field[16], *s = strdup(buf);
		int			nf = 0;

		s[strcspn(s, "\r\n")] = '\0';
		for (char *p = s; nf < 16; p++)
		{
			field[nf++] = p;
			if (!(p = strchr(p, '\t')))
				break;
			*p = '\0';
		}
		if (nlines == alloc)
			lines = realloc(lines, (alloc = alloc ? 2 * alloc : 1024) * sizeof(Line));
		for (int c = 0; c < ncols; c++)
		{
			if (cols[c] > nf)
				die("input line has too few columns", path);
			lines[nlines].param[c] = field[cols[c] - 1];
		}
		lines[nlines].identity = nf >= 2 ? atol(field[1]) : -1;
		lines[nlines].known = nf >= 3 && strcmp(field[2], "1") == 0;
		nlines++;
	}
	free(buf);
	fclose(f);
	if (nlines == 0)
		die("no input lines in", path);
}

/* Ground truth: line i -> "qid<TAB>id1,...,idK<TAB>..."; keeps the first k ids. */
static void
read_gt(const char *path)
{
	FILE	   *f = fopen(path, "r");
	char	   *buf = NULL;
	size_t		cap = 0;

	if (!f)
		die("cannot open", path);
	gt = malloc(nlines * k * sizeof(long));
	for (long i = 0; i < nlines; i++)
	{
		char	   *p;

		if (getline(&buf, &cap, f) <= 0 || !(p = strchr(buf, '\t')))
			die("ground truth has fewer lines than the input", path);
		for (int j = 0; j < k; j++)
		{
			gt[i * k + j] = strtol(p + 1, &p, 10);
			if (*p != ',' && j < k - 1)
				die("ground truth has fewer than k ids per line", path);
		}
	}
	free(buf);
	fclose(f);
}

static void
read_labels(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	long		size;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0)
		die("cannot read", path);
	rewind(f);
	nlabels = size / 4;
	labels = malloc(size);
	if (fread(labels, 4, nlabels, f) != (size_t) nlabels)
		die("cannot read", path);
	fclose(f);
	/* facegen numbers base identities 0.. upwards, so fewer than rows */
	photos = calloc(nlabels, sizeof(int));
	for (long i = 0; i < nlabels; i++)
		if (labels[i] >= 0 && labels[i] < nlabels)
			photos[labels[i]]++;
}

/* Score one execution's result against the ground truth and the labels. */
static void
score(PGresult *res, long line, Outcome *o)
{
	int			n = PQntuples(res);

	o->rows = n;
	for (int r = 0; r < n && r < k; r++)
	{
		long		id = atol(PQgetvalue(res, r, 0));

		if (gt)
		{
			for (int j = 0; j < k; j++)
				o->gt_hits += gt[line * k + j] == id;
			if (r == 0)
				o->top1_exact = gt[line * k] == id;
		}
		if (labels && id >= 0 && id < nlabels && labels[id] == lines[line].identity)
		{
			o->id_hits++;
			if (r == 0)
				o->top1_identity = 1;
		}
	}
}

/* Client thread: warm up, wait for the others, run every line once. */
static void *
client(void *arg)
{
	int			c = (int) (intptr_t) arg;
	PGconn	   *conn = PQconnectdb(conninfo);
	PGresult   *res;
	long		offset = nlines * c / nclients;

	if (PQstatus(conn) != CONNECTION_OK)
		die("connection failed", PQerrorMessage(conn));
	if (setup_sql)
	{
		res = PQexec(conn, setup_sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
			die("setup SQL failed", PQerrorMessage(conn));
		PQclear(res);
	}
	res = PQprepare(conn, "q", sql, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("prepare failed", PQerrorMessage(conn));
	PQclear(res);

	for (int pass = 0; pass <= warmup; pass++)
	{
		int			measured = pass == warmup;

		if (measured)
		{
			pthread_barrier_wait(&start_line);
			if (c == 0)
				t_begin = now_ms();
			pthread_barrier_wait(&start_line);
		}
		for (long i = 0; i < nlines; i++)
		{
			long		line = (offset + i) % nlines;
			double		t0 = now_ms();
			ExecStatusType st;

			res = PQexecPrepared(conn, "q", ncols, lines[line].param, NULL, NULL, 0);
			st = PQresultStatus(res);
			if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
				die("execution failed", PQerrorMessage(conn));
			if (measured)
			{
				Outcome    *o = &outcome[c * nlines + line];

				o->ms = now_ms() - t0;
				score(res, line, o);
			}
			PQclear(res);
		}
	}
	t_end[c] = now_ms();
	PQfinish(conn);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a, y = *(const double *) b;

	return (x > y) - (x < y);
}

static void
report(void)
{
	long		n = nclients * nlines, nknown = 0, short_execs = 0;
	double	   *ms = malloc(n * sizeof(double));
	double		sum_ms = 0, rows = 0, gt_hits = 0, top1 = 0, match = 0, rank1 = 0, wall = 0;

	for (int c = 0; c < nclients; c++)
		if (t_end[c] - t_begin > wall)
			wall = t_end[c] - t_begin;
	for (long i = 0; i < n; i++)
	{
		Outcome    *o = &outcome[i];
		Line	   *l = &lines[i % nlines];

		ms[i] = o->ms;
		sum_ms += o->ms;
		rows += o->rows;
		short_execs += o->rows < k;
		gt_hits += o->gt_hits;
		top1 += o->top1_exact;
		if (labels && l->known && l->identity >= 0 && l->identity < nlabels &&
			photos[l->identity] > 0)
		{
			int			want = photos[l->identity] < k ? photos[l->identity] : k;

			nknown++;
			match += (double) o->id_hits / want;
			rank1 += o->top1_identity;
		}
	}
	qsort(ms, n, sizeof(double), cmp_double);
	printf("label=%s clients=%d execs=%ld wall_s=%.3f qps=%.1f mean_ms=%.3f p50_ms=%.3f "
		   "p99_ms=%.3f max_ms=%.3f",
		   label, nclients, n, wall / 1e3, n / (wall / 1e3), sum_ms / n, ms[n / 2],
		   ms[(long) (0.99 * (n - 1))], ms[n - 1]);
	if (gt)
		printf(" recall10=%.4f recall1=%.4f", gt_hits / (n * (double) k), top1 / n);
	if (labels)
		printf(" match=%.4f rank1=%.4f known=%ld", nknown ? match / nknown : 0,
			   nknown ? rank1 / nknown : 0, nknown);
	printf(" rows=%.2f short=%ld\n", rows / n, short_execs);
	free(ms);
}

static void
usage(void)
{
	fprintf(stderr, "usage: facebench -d CONNINFO -f INPUT.tsv -s SQL [-c COLS] [-g GT] "
			"[-L LABELS] [-k K] [-n LINES] [-w WARMUP] [-t CLIENTS] [-p SQL] [-l LABEL]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *input = NULL, *gt_path = NULL, *labels_path = NULL;
	long		limit = 0;
	pthread_t	tid[MAXCLIENTS];

	ncols = 1;
	for (int a = 1; a < argc; a += 2)
	{
		const char *opt = argv[a], *val = a + 1 < argc ? argv[a + 1] : NULL;

		if (!val || opt[0] != '-' || strlen(opt) != 2)
			usage();
		switch (opt[1])
		{
			case 'd': conninfo = val; break;
			case 'f': input = val; break;
			case 's': sql = val; break;
			case 'g': gt_path = val; break;
			case 'L': labels_path = val; break;
			case 'k': k = atoi(val); break;
			case 'n': limit = atol(val); break;
			case 'w': warmup = atoi(val); break;
			case 't': nclients = atoi(val); break;
			case 'p': setup_sql = val; break;
			case 'l': label = val; break;
			case 'c':
				ncols = 0;
				for (const char *p = val; *p && ncols < MAXCOLS; p += strspn(p, ","))
				{
					cols[ncols++] = atoi(p);
					p += strcspn(p, ",");
				}
				break;
			default: usage();
		}
	}
	if (!conninfo || !input || !sql || k < 1 || warmup < 0 || nclients < 1 ||
		nclients > MAXCLIENTS || ncols < 1)
		usage();
	for (int c = 0; c < ncols; c++)
		if (cols[c] < 1)
			usage();

	read_lines(input, limit);
	if (gt_path)
		read_gt(gt_path);
	if (labels_path)
		read_labels(labels_path);
	outcome = calloc(nclients * nlines, sizeof(Outcome));
	pthread_barrier_init(&start_line, NULL, nclients);
	for (int c = 0; c < nclients; c++)
		if (pthread_create(&tid[c], NULL, client, (void *) (intptr_t) c) != 0)
			die("cannot start a client thread", NULL);
	for (int c = 0; c < nclients; c++)
		pthread_join(tid[c], NULL);
	report();
	return 0;
}
