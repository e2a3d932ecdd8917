/*-------------------------------------------------------------------------
 *
 * face_vote.c
 *	  SQL over core/learn/vote.c: the aggregate face_vote(label, distance
 *	  [, threshold]) -> face_prediction, a distance-weighted k-NN vote with
 *	  unknown rejection over whatever neighbours the query feeds it (an
 *	  index-backed top-k, typically).  Without a threshold argument it
 *	  accepts neighbours nearer than face.verify_threshold.
 *
 * The state keeps only the accepted neighbours (distance below the
 * threshold); the final function sorts them by label and lets the core
 * count the votes.  Rows with a NULL label or distance are skipped.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "core/learn/vote.h"
#include "face_model.h"

PG_FUNCTION_INFO_V1(face_vote_transfn);
PG_FUNCTION_INFO_V1(face_vote_threshold_transfn);
PG_FUNCTION_INFO_V1(face_vote_finalfn);

typedef struct VoteState
{
	double		threshold;
	int			n;				/* accepted neighbours */
	int			cap;
	Size		bytes;			/* memory held, for the limit */
	char	  **label;
	double	   *d;
} VoteState;

typedef struct VoteRow
{
	const char *label;
	double		d;
} VoteRow;

static double
check_threshold(double t)
{
	if (!(t > 0) || isinf(t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("face_vote: threshold must be a positive number, not %g", t)));
	return t;
}

/* face.verify_threshold, the 2-argument form's threshold */
static double
verify_threshold(void)
{
	const char *s = GetConfigOption("face.verify_threshold", false, false);

	return check_threshold(strtod(s, NULL));
}

static Datum
vote_add(FunctionCallInfo fcinfo, bool has_threshold)
{
	MemoryContext aggcxt;
	VoteState  *st;
	double		d;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "face_vote called in non-aggregate context");
	st = PG_ARGISNULL(0) ? NULL : (VoteState *) PG_GETARG_POINTER(0);
	if (st == NULL)
	{
		st = MemoryContextAllocZero(aggcxt, sizeof(VoteState));
		st->threshold = NAN;
		if (!has_threshold)
			st->threshold = verify_threshold();
	}
	if (has_threshold && !PG_ARGISNULL(3))
	{
		double		t = PG_GETARG_FLOAT8(3);

		if (isnan(st->threshold))
			st->threshold = check_threshold(t);
		else if (t != st->threshold)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("face_vote: the threshold must be the same on every row")));
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || isnan(st->threshold))
		PG_RETURN_POINTER(st);
	d = PG_GETARG_FLOAT8(2);
	if (isnan(d) || d < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("face_vote: distance must be a non-negative number, not %g", d)));
	if (!(d < st->threshold))
		PG_RETURN_POINTER(st);	/* not that person, no evidence for anybody */

	if (st->n == st->cap)
	{
		int			cap = Max(16, st->cap * 2);
		MemoryContext old = MemoryContextSwitchTo(aggcxt);

		if (cap >= MaxAllocSize / sizeof(double))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("face_vote: too many neighbours")));
		st->label = st->label ? repalloc(st->label, sizeof(char *) * cap) : palloc(sizeof(char *) * cap);
		st->d = st->d ? repalloc(st->d, sizeof(double) * cap) : palloc(sizeof(double) * cap);
		st->cap = cap;
		MemoryContextSwitchTo(old);
	}
	st->label[st->n] = MemoryContextStrdup(aggcxt, text_to_cstring(PG_GETARG_TEXT_PP(1)));
	st->d[st->n] = d;
	st->bytes += strlen(st->label[st->n]) + 1 + sizeof(char *) + sizeof(double);
	if (st->bytes > (Size) FaceLearnMemoryLimit())
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("face_vote: the accepted neighbours exceed maintenance_work_mem"),
				 errhint("Vote over the k nearest neighbours (ORDER BY ... LIMIT k), not a whole table.")));
	st->n++;
	PG_RETURN_POINTER(st);
}

/* face_vote(label text, distance float8) transition */
Datum
face_vote_transfn(PG_FUNCTION_ARGS)
{
	return vote_add(fcinfo, false);
}

/* face_vote(label text, distance float8, threshold float8) transition */
Datum
face_vote_threshold_transfn(PG_FUNCTION_ARGS)
{
	return vote_add(fcinfo, true);
}

static int
vote_row_cmp(const void *a, const void *b)
{
	return strcmp(((const VoteRow *) a)->label, ((const VoteRow *) b)->label);
}

/*
 * The prediction (label, probability): label NULL when no neighbour is
 * within the threshold (probability of unknown 1).  NULL for no rows.
 */
Datum
face_vote_finalfn(PG_FUNCTION_ARGS)
{
	VoteState  *st = PG_ARGISNULL(0) ? NULL : (VoteState *) PG_GETARG_POINTER(0);
	TupleDesc	desc;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	int			winner = -1;
	double		probability = 1.0;
	char	   *winner_label = NULL;

	if (st == NULL)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "face_vote must return face_prediction");
	desc = BlessTupleDesc(desc);
	if (st->n > 0)
	{
		VoteRow    *rows = palloc(sizeof(VoteRow) * st->n);
		int		   *label = palloc(sizeof(int) * st->n);
		double	   *d = palloc(sizeof(double) * st->n);
		const char **names = palloc(sizeof(char *) * st->n);
		int			nlabels = 0;
		double	   *work;

		for (int i = 0; i < st->n; i++)
		{
			rows[i].label = st->label[i];
			rows[i].d = st->d[i];
		}
		qsort(rows, st->n, sizeof(VoteRow), vote_row_cmp);
		for (int i = 0; i < st->n; i++)
		{
			if (i == 0 || strcmp(rows[i].label, rows[i - 1].label) != 0)
				names[nlabels++] = rows[i].label;
			label[i] = nlabels - 1;
			d[i] = rows[i].d;
		}
		work = palloc(sizeof(double) * 2 * nlabels);
		fc_vote(label, d, st->n, nlabels, st->threshold, work, &winner, &probability);
		if (winner >= 0)
			winner_label = (char *) names[winner];
	}
	if (winner_label)
		values[0] = CStringGetTextDatum(winner_label);
	else
		nulls[0] = true;
	values[1] = Float8GetDatum(probability);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
