/*-------------------------------------------------------------------------
 *
 * face_calibrate.c
 *	  SQL over core/learn/calibrate.c: face_calibrate (fit P(same | distance)
 *	  and thresholds at target FARs on labelled rows, store them as a
 *	  'calibration' model), face_match_probability, face_threshold, face_roc,
 *	  and the ad-hoc aggregate face_threshold_at_far.
 *
 * A calibration's params (face_model_params.c sections):
 *	  CAL_METHOD  int32[1]   1 platt, 2 isotonic
 *	  CAL_PLATT   float8[2]  A, B of P = 1 / (1 + exp(A d + B))
 *	  CAL_ISO_X/Y float8[m]  isotonic knots (isotonic only)
 *	  CAL_FAR/CAL_THRESHOLD/CAL_SUPPORT float8[FARS]  the FAR grid, its
 *	             thresholds (-1: the data do not support it), impostor pairs
 *	  CAL_ROC_T/FAR/TAR float8[r]  the ROC, for face_roc
 * Distances are Euclidean between base-model embeddings (dims_in, model
 * base_model, 0 = any one model).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "core/learn/calibrate.h"
#include "face_model.h"
#include "face_rows.h"
#include "type/embedding.h"

PG_FUNCTION_INFO_V1(face_calibrate);
PG_FUNCTION_INFO_V1(face_match_probability);
PG_FUNCTION_INFO_V1(face_threshold);
PG_FUNCTION_INFO_V1(face_roc);
PG_FUNCTION_INFO_V1(face_threshold_at_far_transfn);
PG_FUNCTION_INFO_V1(face_threshold_at_far_finalfn);

enum
{
	CAL_METHOD = 1, CAL_PLATT, CAL_ISO_X, CAL_ISO_Y, CAL_FAR, CAL_THRESHOLD,
	CAL_SUPPORT, CAL_ROC_T, CAL_ROC_FAR, CAL_ROC_TAR
};
#define CAL_METHOD_PLATT	1
#define CAL_METHOD_ISOTONIC 2

/* The FAR grid a calibration stores thresholds for: 1-2-5 steps, 1e-1 to 1e-5. */
static const double far_grid[] = {
	1e-1, 5e-2, 2e-2, 1e-2, 5e-3, 2e-3, 1e-3, 5e-4, 2e-4, 1e-4, 5e-5, 2e-5, 1e-5
};
#define FARS lengthof(far_grid)
#define ROC_POINTS 100			/* per side: impostor FAR quantiles, genuine TAR quantiles */

typedef struct FaceCalibration
{
	int32		id;
	int32		base_model;
	int32		dims_in;
	int32		method;
	fc_platt	platt;
	int			m;
	double	   *iso_x;
	double	   *iso_y;
	double	   *far;
	double	   *threshold;
	double	   *support;
	int			nroc;
	double	   *roc_t;
	double	   *roc_far;
	double	   *roc_tar;
} FaceCalibration;

/* ------------------------------------------------ load */

/* FaceModelParser for calibrations: every section, checked for meaning. */
static void *
calibration_parse(const FaceModel *m)
{
	FaceCalibration *c = palloc0(sizeof(FaceCalibration));
	int32	   *method = FaceParamsGet(m, CAL_METHOD, FACE_PARAM_INT32, 1, NULL);
	double	   *ab = FaceParamsGet(m, CAL_PLATT, FACE_PARAM_FLOAT8, 2, NULL);
	int			ny;

	c->id = m->id;
	c->base_model = m->base_model;
	c->dims_in = m->dims_in;
	if (m->dims_in < 1 || m->dims_in > FACE_EMBEDDING_MAX_DIM)
		FaceParamsCorrupt(m, psprintf("dims_in is %d.", m->dims_in));
	c->method = *method;
	if (strcmp(m->method, c->method == CAL_METHOD_ISOTONIC ? "isotonic" : "platt") != 0)
		FaceParamsCorrupt(m, psprintf("The params are not those of the method \"%s\".", m->method));
	c->platt.A = ab[0];
	c->platt.B = ab[1];
	if (c->method == CAL_METHOD_ISOTONIC)
	{
		c->iso_x = FaceParamsGet(m, CAL_ISO_X, FACE_PARAM_FLOAT8, -1, &c->m);
		c->iso_y = FaceParamsGet(m, CAL_ISO_Y, FACE_PARAM_FLOAT8, c->m, &ny);
		if (c->m < 1)
			FaceParamsCorrupt(m, "The isotonic fit has no knots.");
		for (int k = 0; k < c->m; k++)
			if (c->iso_y[k] < 0 || c->iso_y[k] > 1 ||
				(k > 0 && (c->iso_x[k] < c->iso_x[k - 1] || c->iso_y[k] > c->iso_y[k - 1])))
				FaceParamsCorrupt(m, psprintf("Isotonic knot %d is out of order.", k + 1));
	}
	else if (c->method != CAL_METHOD_PLATT)
		FaceParamsCorrupt(m, psprintf("Unknown calibration method %d.", c->method));
	c->far = FaceParamsGet(m, CAL_FAR, FACE_PARAM_FLOAT8, FARS, NULL);
	c->threshold = FaceParamsGet(m, CAL_THRESHOLD, FACE_PARAM_FLOAT8, FARS, NULL);
	c->support = FaceParamsGet(m, CAL_SUPPORT, FACE_PARAM_FLOAT8, FARS, NULL);
	for (int f = 0; f < FARS; f++)
		if (c->far[f] != far_grid[f] || (c->threshold[f] < 0 && c->threshold[f] != -1))
			FaceParamsCorrupt(m, psprintf("Threshold %d is malformed.", f + 1));
	c->roc_t = FaceParamsGet(m, CAL_ROC_T, FACE_PARAM_FLOAT8, -1, &c->nroc);
	c->roc_far = FaceParamsGet(m, CAL_ROC_FAR, FACE_PARAM_FLOAT8, c->nroc, NULL);
	c->roc_tar = FaceParamsGet(m, CAL_ROC_TAR, FACE_PARAM_FLOAT8, c->nroc, NULL);
	for (int k = 0; k < c->nroc; k++)
		if (c->roc_far[k] < 0 || c->roc_far[k] > 1 || c->roc_tar[k] < 0 || c->roc_tar[k] > 1)
			FaceParamsCorrupt(m, psprintf("ROC point %d is outside [0, 1].", k + 1));
	return c;
}

static FaceCalibration *
calibration_get(FunctionCallInfo fcinfo, int32 id, const char *function)
{
	return FaceModelGet(fcinfo, id, "calibration", function, calibration_parse);
}

/* ------------------------------------------------ face_calibrate */

static int
double_cmp(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

static void
json_number(StringInfo buf, const char *key, double v)
{
	if (isfinite(v))
		appendStringInfo(buf, "\"%s\": %.6g", key, v);
	else
		appendStringInfo(buf, "\"%s\": null", key);
}

static Jsonb *
json_parse(const char *text)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
}

/*
 * face_calibrate(name text, training_query text, options jsonb) -> int:
 * options method ('platt' | 'isotonic'), splits (person splits of the
 * threshold cross-validation, 5), seed (0).
 */
Datum
face_calibrate(PG_FUNCTION_ARGS)
{
	const char *fn = "face_calibrate";
	char	   *name;
	char	   *query;
	Jsonb	   *options = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	FaceOption	spec[] = {
		{"method", FACE_OPTION_TEXT},
		{"splits", FACE_OPTION_INT, 1, 100},
		{"seed", FACE_OPTION_INT, 0, 9007199254740992.0},
	};
	FaceRowsSpec rspec = {0};
	FaceRows   *rows;
	TimestampTz start = GetCurrentTimestamp();
	int			method = CAL_METHOD_PLATT;
	int			splits = 5;
	uint64		seed = 0;
	int32	   *person;
	char	  **people;
	int			npeople;
	fc_allocator alloc;
	fc_hooks	hooks;
	fc_error	err;
	fc_pairs	pairs;
	fc_platt	platt = {0, 0};
	fc_isotonic iso = {0};
	fc_far_threshold thr[FARS];
	double		auc,
				eer,
				rank1;
	int64		max_pairs;
	StringInfoData pbuf,
				mbuf,
				obuf;
	double		supp[FARS],
				tvals[FARS];
	double	   *roc_t,
			   *roc_far,
			   *roc_tar;
	int			nroc = 0;
	int32		method32;
	FaceModel	model = {0};

	/* Not STRICT (options may be NULL for the defaults), so name and query are checked here. */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: the %s must not be NULL", fn, PG_ARGISNULL(0) ? "name" : "training query")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	query = text_to_cstring(PG_GETARG_TEXT_PP(1));

	FaceOptionsParse(options, spec, lengthof(spec), fn);
	if (spec[0].set)
	{
		if (strcmp(spec[0].sval, "platt") == 0)
			method = CAL_METHOD_PLATT;
		else if (strcmp(spec[0].sval, "isotonic") == 0)
			method = CAL_METHOD_ISOTONIC;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: unknown method \"%s\"", fn, spec[0].sval),
					 errhint("The methods are \"platt\" (the default) and \"isotonic\".")));
	}
	if (spec[1].set)
		splits = (int) spec[1].fval;
	if (spec[2].set)
		seed = (uint64) spec[2].fval;
	FaceModelCheckNameFree(name);

	rspec.function = fn;
	rspec.min_rows = 2;
	rspec.memory_limit_kb = maintenance_work_mem;
	rows = FaceReadRows(query, &rspec);
	person = FaceLabelsToPeople(rows->keys, rows->n, &npeople, &people);
	if (npeople < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs at least 2 people, not %d", fn, npeople),
				 errdetail("Impostor pairs are pairs of photos of different people.")));

	FaceLearnHooks(&hooks, &alloc);
	/* the pairs and the isotonic blocks: 12 + 24 bytes a pair */
	max_pairs = Max(FaceLearnMemoryLimit() / 36, 1000);
	if (fc_pairs_build(rows->emb, rows->n, rows->dims, person, max_pairs, seed, &hooks, &pairs, &err) != FC_OK)
	{
		if (err.status == FC_ERR_INVALID_ARGUMENT)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s: %s", fn, err.message),
					 errhint("Raise maintenance_work_mem (each pair takes 36 bytes).")));
		FaceLearnReportError(fn, &err);
	}
	if (pairs.n_genuine == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a person with at least 2 photos", fn),
				 errdetail("Genuine pairs are pairs of photos of the same person; the %d people have one photo each.", npeople)));

	if (fc_platt_fit(&pairs, &hooks, &platt, &err) != FC_OK)
		FaceLearnReportError(fn, &err);
	if (method == CAL_METHOD_ISOTONIC && fc_isotonic_fit(&pairs, &hooks, &iso, &err) != FC_OK)
		FaceLearnReportError(fn, &err);
	if (npeople >= 4)
	{
		if (fc_calibrate_thresholds(&pairs, npeople, far_grid, FARS, splits, seed, &hooks, thr, &err) != FC_OK)
			FaceLearnReportError(fn, &err);
	}
	else
	{
		ereport(NOTICE,
				(errmsg("%s: no thresholds at a FAR from %d people", fn, npeople),
				 errdetail("Thresholds that hold on new people are cross-validated over people and need at least 4.")));
		for (int f = 0; f < FARS; f++)
		{
			memset(&thr[f], 0, sizeof(thr[f]));
			thr[f].far = far_grid[f];
			thr[f].threshold = -1;
			thr[f].support = pairs.n_impostor;
			thr[f].cv_far = thr[f].empirical_cv_far = thr[f].factor = NAN;
		}
	}
	auc = fc_auc(&pairs);
	eer = fc_eer(&pairs);
	if (fc_rank1(rows->emb, rows->n, rows->dims, person, &hooks, &rank1, &err) != FC_OK)
		FaceLearnReportError(fn, &err);

	/* the ROC: thresholds at impostor FAR quantiles (log-spaced) and genuine TAR quantiles */
	roc_t = palloc(sizeof(double) * (2 * ROC_POINTS + 1));
	roc_far = palloc(sizeof(double) * (2 * ROC_POINTS + 1));
	roc_tar = palloc(sizeof(double) * (2 * ROC_POINTS + 1));
	{
		double	   *cand = palloc(sizeof(double) * 2 * ROC_POINTS);
		int			nc = 0;

		for (int k = 0; k < ROC_POINTS; k++)
		{
			double		far = pow(10.0, -5.0 + 5.0 * k / (ROC_POINTS - 1));
			int64		gi = (int64) ((double) (k + 1) / ROC_POINTS * (pairs.n_genuine - 1));

			cand[nc++] = fc_threshold_at_far(pairs.impostor, pairs.n_impostor, far);
			cand[nc++] = nextafterf(pairs.genuine[gi].d, INFINITY);
		}
		qsort(cand, nc, sizeof(double), double_cmp);
		for (int k = 0; k < nc; k++)
		{
			if (nroc > 0 && cand[k] == roc_t[nroc - 1])
				continue;
			roc_t[nroc] = cand[k];
			roc_far[nroc] = (double) fc_count_below(pairs.impostor, pairs.n_impostor, cand[k]) / pairs.n_impostor;
			roc_tar[nroc] = (double) fc_count_below(pairs.genuine, pairs.n_genuine, cand[k]) / pairs.n_genuine;
			nroc++;
		}
	}

	/* params */
	method32 = method;
	FaceParamsBegin(&pbuf);
	FaceParamsAdd(&pbuf, CAL_METHOD, FACE_PARAM_INT32, &method32, 1);
	FaceParamsAdd(&pbuf, CAL_PLATT, FACE_PARAM_FLOAT8, (double[]) {platt.A, platt.B}, 2);
	if (method == CAL_METHOD_ISOTONIC)
	{
		FaceParamsAdd(&pbuf, CAL_ISO_X, FACE_PARAM_FLOAT8, iso.x, iso.m);
		FaceParamsAdd(&pbuf, CAL_ISO_Y, FACE_PARAM_FLOAT8, iso.y, iso.m);
	}
	for (int f = 0; f < FARS; f++)
	{
		tvals[f] = thr[f].threshold;
		supp[f] = (double) thr[f].support;
	}
	FaceParamsAdd(&pbuf, CAL_FAR, FACE_PARAM_FLOAT8, far_grid, FARS);
	FaceParamsAdd(&pbuf, CAL_THRESHOLD, FACE_PARAM_FLOAT8, tvals, FARS);
	FaceParamsAdd(&pbuf, CAL_SUPPORT, FACE_PARAM_FLOAT8, supp, FARS);
	FaceParamsAdd(&pbuf, CAL_ROC_T, FACE_PARAM_FLOAT8, roc_t, nroc);
	FaceParamsAdd(&pbuf, CAL_ROC_FAR, FACE_PARAM_FLOAT8, roc_far, nroc);
	FaceParamsAdd(&pbuf, CAL_ROC_TAR, FACE_PARAM_FLOAT8, roc_tar, nroc);

	/* metrics: the evidence, as the user reads it */
	initStringInfo(&mbuf);
	appendStringInfo(&mbuf, "{\"rows\": %d, \"people\": %d, \"seconds\": %.3f, "
					 "\"genuine_pairs\": %lld, \"impostor_pairs\": %lld, \"impostors_sampled\": %s, ",
					 rows->n, npeople,
					 (double) TimestampDifferenceMilliseconds(start, GetCurrentTimestamp()) / 1000.0,
					 (long long) pairs.n_genuine, (long long) pairs.n_impostor,
					 pairs.impostors_sampled ? "true" : "false");
	json_number(&mbuf, "auc", auc);
	appendStringInfoString(&mbuf, ", ");
	json_number(&mbuf, "eer", eer);
	appendStringInfoString(&mbuf, ", ");
	json_number(&mbuf, "tar_at_far_1e-3", pairs.n_impostor * 1e-3 >= FC_MIN_FALSE_ACCEPTS ?
				fc_tar_at_far(&pairs, 1e-3) : NAN);
	appendStringInfoString(&mbuf, ", ");
	json_number(&mbuf, "rank1", rank1 >= 0 ? rank1 : NAN);
	appendStringInfoString(&mbuf, ", ");
	json_number(&mbuf, "platt_a", platt.A);
	appendStringInfoString(&mbuf, ", ");
	json_number(&mbuf, "platt_b", platt.B);
	appendStringInfoString(&mbuf, ", \"thresholds\": [");
	for (int f = 0; f < FARS; f++)
	{
		appendStringInfo(&mbuf, "%s{", f ? ", " : "");
		json_number(&mbuf, "far", far_grid[f]);
		appendStringInfoString(&mbuf, ", ");
		if (thr[f].threshold >= 0)
			appendStringInfo(&mbuf, "\"threshold\": %.9g", thr[f].threshold);	/* a float: exact */
		else
			appendStringInfoString(&mbuf, "\"threshold\": null");
		appendStringInfo(&mbuf, ", \"impostor_pairs\": %lld, ", (long long) thr[f].support);
		json_number(&mbuf, "quantile_factor", thr[f].factor);
		appendStringInfoString(&mbuf, ", ");
		json_number(&mbuf, "heldout_far", thr[f].cv_far);
		appendStringInfoString(&mbuf, ", ");
		json_number(&mbuf, "heldout_far_plain_quantile", thr[f].empirical_cv_far);
		appendStringInfoChar(&mbuf, '}');
	}
	appendStringInfoString(&mbuf, "]}");

	initStringInfo(&obuf);
	appendStringInfo(&obuf, "{\"method\": \"%s\", \"splits\": %d, \"seed\": %llu}",
					 method == CAL_METHOD_PLATT ? "platt" : "isotonic", splits, (unsigned long long) seed);

	ereport(NOTICE,
			(errmsg("%s: %d rows of %d people, %lld genuine and %lld impostor pairs: AUC %.4f, EER %.4f",
					fn, rows->n, npeople, (long long) pairs.n_genuine, (long long) pairs.n_impostor, auc, eer)));
	for (int f = 0; f < FARS; f++)
		if (thr[f].threshold < 0 && (far_grid[f] == 1e-2 || far_grid[f] == 1e-3 ||
									 far_grid[f] == 1e-4 || far_grid[f] == 1e-5))
			ereport(NOTICE,
					(errmsg("%s: no threshold at FAR %g", fn, far_grid[f]),
					 errdetail("%lld impostor pairs do not show it on held-out people (at least %.0f are needed).",
							   (long long) pairs.n_impostor, ceil(FC_MIN_FALSE_ACCEPTS / far_grid[f]))));

	model.name = name;
	model.kind = "calibration";
	model.method = method == CAL_METHOD_PLATT ? "platt" : "isotonic";
	model.base_model = rows->model;
	model.dims_in = rows->dims;
	model.dims_out = 0;
	model.params = FaceParamsFinish(&pbuf);
	model.nlabels = 0;
	model.options = json_parse(obuf.data);
	model.metrics = json_parse(mbuf.data);
	PG_RETURN_INT32(FaceModelStore(&model));
}

/* ------------------------------------------------ predictors */

/* ERROR unless e can be measured by calibration c. */
static void
check_input(const FaceCalibration *c, const FaceEmbedding *e, const char *fn)
{
	if (e->dim != c->dims_in)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: calibration %d takes %d-dimensional embeddings, not %d",
						fn, c->id, c->dims_in, e->dim)));
	if (c->base_model != 0 && e->model != 0 && e->model != c->base_model)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: calibration %d takes embeddings of model %d, not model %d",
						fn, c->id, c->base_model, e->model)));
}

static double
calibrated_probability(const FaceCalibration *c, double d)
{
	if (c->method == CAL_METHOD_ISOTONIC)
		return fc_isotonic_prob(c->iso_x, c->iso_y, c->m, d);
	return fc_platt_prob(&c->platt, d);
}

/* face_match_probability(a, b, calibration int) -> float8: P(same person). */
Datum
face_match_probability(PG_FUNCTION_ARGS)
{
	const char *fn = "face_match_probability";
	FaceEmbedding *a = PG_GETARG_FACE_EMBEDDING_P(0);
	FaceEmbedding *b = PG_GETARG_FACE_EMBEDDING_P(1);
	FaceCalibration *c = calibration_get(fcinfo, PG_GETARG_INT32(2), fn);

	check_input(c, a, fn);
	check_input(c, b, fn);
	PG_RETURN_FLOAT8(calibrated_probability(c, FaceEmbeddingL2Distance(a, b)));
}

/*
 * face_threshold(calibration int, far float8) -> float8: the distance below
 * which pairs are accepted at false-accept rate far on new people; between
 * grid points the stricter neighbour's.  NULL (NOTICE) where the data do
 * not support it.
 */
Datum
face_threshold(PG_FUNCTION_ARGS)
{
	const char *fn = "face_threshold";
	FaceCalibration *c = calibration_get(fcinfo, PG_GETARG_INT32(0), fn);
	double		far = PG_GETARG_FLOAT8(1);
	int			pick = -1;

	if (!(far > 0 && far < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: false-accept rate must be between 0 and 1, not %g", fn, far)));
	/* the largest grid FAR not above far (grid descending) */
	for (int f = 0; f < FARS; f++)
		if (c->far[f] <= far * (1 + 1e-9))
		{
			pick = f;
			break;
		}
	if (pick < 0 || c->threshold[pick] < 0)
	{
		ereport(NOTICE,
				(errmsg("%s: calibration %d has no threshold at FAR %g", fn, c->id, far),
				 pick < 0 ?
				 errdetail("Calibrations hold thresholds down to FAR %g.", far_grid[FARS - 1]) :
				 errdetail("Its %.0f impostor pairs do not support it on new people.", c->support[pick])));
		PG_RETURN_NULL();
	}
	PG_RETURN_FLOAT8(c->threshold[pick]);
}

/* face_roc(calibration int) -> TABLE(threshold, far, tar), thresholds ascending. */
Datum
face_roc(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FaceCalibration *c;

	InitMaterializedSRF(fcinfo, 0);
	c = calibration_get(fcinfo, PG_GETARG_INT32(0), "face_roc");
	for (int k = 0; k < c->nroc; k++)
	{
		Datum		values[3] = {Float8GetDatum(c->roc_t[k]), Float8GetDatum(c->roc_far[k]),
		Float8GetDatum(c->roc_tar[k])};
		bool		nulls[3] = {false, false, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* ------------------------------------------------ face_threshold_at_far */

typedef struct ThresholdState
{
	double		far;			/* from the first row; must not change */
	int64		n;
	int64		cap;
	fc_pair    *impostor;
} ThresholdState;

/*
 * face_threshold_at_far(distance, same, far) transition: keeps the impostor
 * distances (same = false); rows with a NULL are skipped.  Bounded by
 * maintenance_work_mem.
 */
Datum
face_threshold_at_far_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	ThresholdState *st;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "face_threshold_at_far_transfn called in non-aggregate context");
	st = PG_ARGISNULL(0) ? NULL : (ThresholdState *) PG_GETARG_POINTER(0);
	if (st == NULL)
	{
		st = MemoryContextAllocZero(aggcxt, sizeof(ThresholdState));
		st->far = NAN;
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_POINTER(st);
	if (isnan(st->far))
	{
		st->far = PG_GETARG_FLOAT8(3);
		if (!(st->far > 0 && st->far < 1))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("face_threshold_at_far: false-accept rate must be between 0 and 1, not %g", st->far)));
	}
	else if (PG_GETARG_FLOAT8(3) != st->far)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("face_threshold_at_far: the false-accept rate must be the same on every row")));
	if (PG_GETARG_BOOL(2))
		PG_RETURN_POINTER(st);	/* a genuine pair: no bearing on the FAR */
	if (isnan(PG_GETARG_FLOAT8(1)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("face_threshold_at_far: distance must be a number, not NaN")));
	if (st->n == st->cap)
	{
		int64		cap = Max(1024, st->cap * 2);

		if ((Size) cap * sizeof(fc_pair) > (Size) FaceLearnMemoryLimit())
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("face_threshold_at_far: more impostor pairs than maintenance_work_mem holds"),
					 errhint("Raise maintenance_work_mem (each pair takes %zu bytes).", sizeof(fc_pair))));
		st->impostor = st->impostor ?
			repalloc_huge(st->impostor, cap * sizeof(fc_pair)) :
			MemoryContextAllocHuge(aggcxt, cap * sizeof(fc_pair));
		st->cap = cap;
	}
	st->impostor[st->n].d = (float) PG_GETARG_FLOAT8(1);
	st->impostor[st->n].pa = st->impostor[st->n].pb = 0;
	st->n++;
	PG_RETURN_POINTER(st);
}

/*
 * The distance below which at most far of the impostor pairs fall (the
 * plain empirical quantile: these pairs' FAR, not new people's); NULL with
 * a NOTICE when fewer than 10 / far impostor pairs support it.
 */
Datum
face_threshold_at_far_finalfn(PG_FUNCTION_ARGS)
{
	ThresholdState *st = PG_ARGISNULL(0) ? NULL : (ThresholdState *) PG_GETARG_POINTER(0);

	if (st == NULL || isnan(st->far))
	{
		ereport(NOTICE,
				(errmsg("face_threshold_at_far: no pairs")));
		PG_RETURN_NULL();
	}
	if ((double) st->n * st->far < FC_MIN_FALSE_ACCEPTS)
	{
		ereport(NOTICE,
				(errmsg("face_threshold_at_far: too few impostor pairs for FAR %g", st->far),
				 errdetail("Have %lld; at least %.0f are needed for %d false accepts.",
						   (long long) st->n, ceil(FC_MIN_FALSE_ACCEPTS / st->far),
						   FC_MIN_FALSE_ACCEPTS)));
		PG_RETURN_NULL();
	}
	fc_pairs_sort(st->impostor, st->n);
	PG_RETURN_FLOAT8(fc_threshold_at_far(st->impostor, st->n, st->far));
}
