/*-------------------------------------------------------------------------
 *
 * face_metric.c
 *	  SQL over core/learn/metric.c: face_train_metric (train a head on
 *	  labelled embeddings, store it as a 'metric' model), face_project
 *	  (apply it: the output is tagged with the model's id) and
 *	  face_similarity (a 'binary' head's P(same person)).
 *
 * A head's params (face_model_params.c sections):
 *	  MET_SHAPE  int32[3]          dims_in, dims_out, hidden units (0)
 *	  MET_W      float4[out * in]  row-major
 *	  MET_B      float4[out]
 *	  MET_ALPHA  float4[out], MET_BETA float4[1]   binary heads only
 *
 * The training query runs with the caller's rights (face_rows.c); only the
 * catalog write switches user (face_model.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <cblas.h>
#include <math.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "core/learn/metric.h"
#include "face_model.h"
#include "face_rows.h"
#include "type/embedding.h"

PG_FUNCTION_INFO_V1(face_train_metric);
PG_FUNCTION_INFO_V1(face_project);
PG_FUNCTION_INFO_V1(face_similarity);

enum
{
	MET_SHAPE = 1, MET_W, MET_B, MET_ALPHA, MET_BETA
};

#define EPOCHS_DEFAULT		20
#define BATCH_PEOPLE_DEFAULT 32
#define BATCH_PHOTOS_DEFAULT 4
#define BATCH_ROWS_MAX		256
#define LEARNING_RATE_DEFAULT 0.005
#define WEIGHT_DECAY_DEFAULT 1e-4
#define VALIDATION_DEFAULT	0.2

typedef struct FaceHead
{
	int32		id;
	int32		base_model;
	bool		binary;
	fc_metric_head h;
} FaceHead;

/* ------------------------------------------------ load */

static void *
head_parse(const FaceModel *m)
{
	FaceHead   *fh = palloc0(sizeof(FaceHead));
	int32	   *shape = FaceParamsGet(m, MET_SHAPE, FACE_PARAM_INT32, 3, NULL);
	int			din = shape[0],
				dout = shape[1];

	if (din != m->dims_in || dout != m->dims_out || din < 1 || din > FACE_EMBEDDING_MAX_DIM ||
		dout < 1 || dout > din || shape[2] != 0)
		FaceParamsCorrupt(m, psprintf("The head's shape %d x %d (hidden %d) disagrees with the row's %d x %d.",
								 dout, din, shape[2], m->dims_out, m->dims_in));
	fh->id = m->id;
	fh->base_model = m->base_model;
	fh->binary = strcmp(m->method, "binary") == 0;
	if (!fh->binary && strcmp(m->method, "triplet") != 0 && strcmp(m->method, "contrastive") != 0)
		FaceParamsCorrupt(m, psprintf("Unknown method \"%s\".", m->method));
	fh->h.din = din;
	fh->h.dout = dout;
	fh->h.W = FaceParamsGet(m, MET_W, FACE_PARAM_FLOAT4, dout * din, NULL);
	fh->h.b = FaceParamsGet(m, MET_B, FACE_PARAM_FLOAT4, dout, NULL);
	if (fh->binary)
	{
		float	   *beta = FaceParamsGet(m, MET_BETA, FACE_PARAM_FLOAT4, 1, NULL);

		fh->h.alpha = FaceParamsGet(m, MET_ALPHA, FACE_PARAM_FLOAT4, dout, NULL);
		fh->h.beta = *beta;
	}
	return fh;
}

/*
 * ERROR unless head takes e: its dimension, and its model the head's base
 * (an untagged embedding is taken as one; a head trained on untagged rows
 * takes any embedding that is not itself a head's output).
 */
static void
head_check_input(const FaceHead *fh, const FaceEmbedding *e, const char *fn)
{
	if (e->dim != fh->h.din)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: model %d takes %d-dimensional embeddings, not %d", fn, fh->id, fh->h.din, e->dim)));
	if (e->model == FACE_MODEL_UNKNOWN || e->model == fh->base_model)
		return;
	if (fh->base_model == FACE_MODEL_UNKNOWN && e->model < FACE_MODEL_TRAINED_MIN)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("%s: model %d takes embeddings of model %d, not of model %d",
					fn, fh->id, fh->base_model, e->model),
			 e->model >= FACE_MODEL_TRAINED_MIN ?
			 errhint("The embedding was projected by head %d already: project the base embedding.", e->model) : 0));
}

/* y = normalize(W x + b) into a new embedding tagged with the head's id */
static FaceEmbedding *
head_apply(const FaceHead *fh, const FaceEmbedding *e)
{
	FaceEmbedding *r = FaceEmbeddingNew(fh->h.dout, fh->id);

	fc_metric_project(&fh->h, e->x, 1, r->x);
	return r;
}

/* ------------------------------------------------ face_train_metric */

typedef struct Progress
{
	int			epochs;
	StringInfo	log;
} Progress;

static int
report_epoch(void *ctx, const fc_metric_epoch *e)
{
	Progress   *p = ctx;

	ereport(NOTICE,
			(errmsg("face_train_metric: epoch %d of %d: loss %.4f, held-out AUC %.4f, EER %.4f",
					e->epoch, p->epochs, e->loss, e->auc, e->eer)));
	appendStringInfo(p->log, "%s{\"epoch\": %d, \"loss\": %.6g, \"auc\": %.6g, \"eer\": %.6g}",
					 e->epoch ? ", " : "", e->epoch, e->loss, e->auc, e->eer);
	return 0;
}

static void
json_report(StringInfo buf, const char *key, const fc_eval_report *r)
{
	appendStringInfo(buf, "\"%s\": {\"genuine_pairs\": %lld, \"impostor_pairs\": %lld, ",
					 key, (long long) r->genuine, (long long) r->impostor);
	appendStringInfo(buf, isfinite(r->auc) ? "\"auc\": %.6g, " : "\"auc\": null, ", r->auc);
	appendStringInfo(buf, isfinite(r->eer) ? "\"eer\": %.6g, " : "\"eer\": null, ", r->eer);
	if (r->tar_at_far_1e3 >= 0)
		appendStringInfo(buf, "\"tar_at_far_1e-3\": %.6g, ", r->tar_at_far_1e3);
	else
		appendStringInfoString(buf, "\"tar_at_far_1e-3\": null, ");
	if (r->rank1 >= 0)
		appendStringInfo(buf, "\"rank1\": %.6g}", r->rank1);
	else
		appendStringInfoString(buf, "\"rank1\": null}");
}

static const char *const mining_names[] = {"batch-hard", "semi-hard", "batch-all"};

/*
 * face_train_metric(name text, training_query text, loss text, options jsonb) -> int
 */
Datum
face_train_metric(PG_FUNCTION_ARGS)
{
	const char *fn = "face_train_metric";
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *query = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *loss = text_to_cstring(PG_GETARG_TEXT_PP(2));
	Jsonb	   *options = PG_GETARG_JSONB_P(3);
	enum
	{
		O_DIMS, O_HIDDEN, O_INIT, O_MARGIN, O_EPOCHS, O_PEOPLE, O_PHOTOS, O_LR, O_WD,
		O_VALIDATION, O_SEED, O_MINING
	};
	FaceOption	spec[] = {
		[O_DIMS] = {"dims", FACE_OPTION_INT, 1, FACE_EMBEDDING_MAX_DIM},
		[O_HIDDEN] = {"hidden", FACE_OPTION_INT, 0, 4096},
		[O_INIT] = {"init", FACE_OPTION_TEXT},
		[O_MARGIN] = {"margin", FACE_OPTION_FLOAT, 0, 4},
		[O_EPOCHS] = {"epochs", FACE_OPTION_INT, 0, 10000},
		[O_PEOPLE] = {"people_per_batch", FACE_OPTION_INT, 2, BATCH_ROWS_MAX},
		[O_PHOTOS] = {"photos_per_person", FACE_OPTION_INT, 2, BATCH_ROWS_MAX / 2},
		[O_LR] = {"learning_rate", FACE_OPTION_FLOAT, 1e-7, 10},
		[O_WD] = {"weight_decay", FACE_OPTION_FLOAT, 0, 1},
		[O_VALIDATION] = {"validation", FACE_OPTION_FLOAT, 0, 0.9},
		[O_SEED] = {"seed", FACE_OPTION_INT, 0, 9007199254740992.0},
		[O_MINING] = {"mining", FACE_OPTION_TEXT},
	};
	fc_metric_param param = {0};
	fc_metric_problem prob;
	fc_metric_head head;
	fc_metric_result res;
	FaceRowsSpec rspec = {0};
	FaceRows   *rows;
	TimestampTz start = GetCurrentTimestamp();
	int32	   *person;
	char	  **people;
	int			npeople;
	int		   *photos;
	int			with_two = 0;
	fc_allocator alloc;
	fc_hooks	hooks;
	fc_error	err;
	Progress	prog;
	StringInfoData epochs_log,
				pbuf,
				mbuf,
				obuf;
	FaceModel	model = {0};
	int32		shape[3];

	if (strcmp(loss, "triplet") == 0)
		param.loss = FC_METRIC_TRIPLET;
	else if (strcmp(loss, "contrastive") == 0)
		param.loss = FC_METRIC_CONTRASTIVE;
	else if (strcmp(loss, "binary") == 0)
		param.loss = FC_METRIC_BINARY;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: unknown loss \"%s\"", fn, loss),
				 errhint("The losses are \"triplet\" (the default), \"contrastive\" and \"binary\".")));
	FaceOptionsParse(options, spec, lengthof(spec), fn);
	if (spec[O_HIDDEN].set && spec[O_HIDDEN].fval > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s: heads with a hidden layer are not implemented yet", fn),
				 errhint("Leave \"hidden\" out (or 0) for a linear head.")));
	param.mining = FC_MINING_BATCH_HARD;
	if (spec[O_MINING].set)
	{
		int			k;

		if (param.loss != FC_METRIC_TRIPLET)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: option \"mining\" applies to the triplet loss only", fn)));
		for (k = 0; k < lengthof(mining_names); k++)
			if (strcmp(spec[O_MINING].sval, mining_names[k]) == 0)
				break;
		if (k == lengthof(mining_names))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: unknown mining \"%s\"", fn, spec[O_MINING].sval),
					 errhint("The minings are \"batch-hard\" (the default), \"semi-hard\" and \"batch-all\".")));
		param.mining = (fc_triplet_mining) k;
	}
	if (spec[O_MARGIN].set && param.loss == FC_METRIC_BINARY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the binary loss has no margin", fn)));
	param.margin = spec[O_MARGIN].set ? spec[O_MARGIN].fval : param.loss == FC_METRIC_CONTRASTIVE ? 0.5 : 0.2;
	param.epochs = spec[O_EPOCHS].set ? (int) spec[O_EPOCHS].fval : EPOCHS_DEFAULT;
	param.people_per_batch = spec[O_PEOPLE].set ? (int) spec[O_PEOPLE].fval : BATCH_PEOPLE_DEFAULT;
	param.photos_per_person = spec[O_PHOTOS].set ? (int) spec[O_PHOTOS].fval : BATCH_PHOTOS_DEFAULT;
	if (param.people_per_batch * param.photos_per_person > BATCH_ROWS_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: a batch of %d people x %d photos exceeds %d rows", fn,
						param.people_per_batch, param.photos_per_person, BATCH_ROWS_MAX)));
	if (fc_loss_work_size(param.people_per_batch * param.photos_per_person) > (size_t) FaceLearnMemoryLimit())
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s: a batch of %d rows needs more than maintenance_work_mem", fn,
						param.people_per_batch * param.photos_per_person),
				 errhint("Raise maintenance_work_mem or use smaller batches.")));
	param.learning_rate = spec[O_LR].set ? spec[O_LR].fval : LEARNING_RATE_DEFAULT;
	param.weight_decay = spec[O_WD].set ? spec[O_WD].fval : WEIGHT_DECAY_DEFAULT;
	param.validation = spec[O_VALIDATION].set ? spec[O_VALIDATION].fval : VALIDATION_DEFAULT;
	param.seed = spec[O_SEED].set ? (uint64) spec[O_SEED].fval : 0;
	param.max_pairs = Max(FaceLearnMemoryLimit() / 16, 1000);
	FaceModelCheckNameFree(name);

	rspec.function = fn;
	rspec.min_rows = 2;
	rspec.memory_limit_kb = maintenance_work_mem;
	rows = FaceReadRows(query, &rspec);
	if (rows->model >= FACE_MODEL_TRAINED_MIN)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: the embeddings come from head %d, not from a recognition network", fn, rows->model),
				 errhint("Train on the base embeddings; a head's outputs are not projected again.")));
	param.dims_out = spec[O_DIMS].set ? (int) spec[O_DIMS].fval : rows->dims;
	if (param.dims_out > rows->dims)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: option \"dims\" (%d) exceeds the embeddings' %d dimensions", fn,
						param.dims_out, rows->dims)));
	param.init_pca = param.dims_out < rows->dims;
	if (spec[O_INIT].set)
	{
		if (strcmp(spec[O_INIT].sval, "pca") == 0)
			param.init_pca = 1;
		else if (strcmp(spec[O_INIT].sval, "identity") == 0)
		{
			if (param.dims_out != rows->dims)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: an identity head keeps the %d dimensions, not %d", fn, rows->dims, param.dims_out),
						 errhint("Use \"init\": \"pca\" to reduce the dimension.")));
			param.init_pca = 0;
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: unknown init \"%s\"", fn, spec[O_INIT].sval),
					 errhint("The initialisations are \"identity\" and \"pca\".")));
	}

	person = FaceLabelsToPeople(rows->keys, rows->n, &npeople, &people);
	if (npeople < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs at least 2 people, not %d", fn, npeople)));
	photos = palloc0(sizeof(int) * npeople);
	for (int i = 0; i < rows->n; i++)
		photos[person[i]]++;
	for (int p = 0; p < npeople; p++)
	{
		if (photos[p] >= 2)
			with_two++;
		else if (param.loss == FC_METRIC_TRIPLET)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: person \"%s\" has one photo, and the triplet loss needs two of everyone", fn, people[p]),
					 errhint("Leave out people with one photo, or use the contrastive or binary loss.")));
	}
	if (with_two < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs at least 2 people with 2 photos or more, not %d", fn, with_two)));
	if (param.validation > 0 && npeople < 4)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: holding out people for validation needs at least 4 people, not %d", fn, npeople),
				 errhint("Set \"validation\" to 0 to train on everyone (the report is then on the training people).")));

	prob.n = rows->n;
	prob.dims = rows->dims;
	prob.x = rows->emb;
	prob.person = person;
	prob.npeople = npeople;
	initStringInfo(&epochs_log);
	prog.epochs = param.epochs;
	prog.log = &epochs_log;
	FaceLearnHooks(&hooks, &alloc);
	if (fc_metric_train(&prob, &param, &hooks, report_epoch, &prog, &head, &res, &err) != FC_OK)
		FaceLearnReportError(fn, &err);

	shape[0] = head.din;
	shape[1] = head.dout;
	shape[2] = 0;
	FaceParamsBegin(&pbuf);
	FaceParamsAdd(&pbuf, MET_SHAPE, FACE_PARAM_INT32, shape, 3);
	FaceParamsAdd(&pbuf, MET_W, FACE_PARAM_FLOAT4, head.W, head.dout * head.din);
	FaceParamsAdd(&pbuf, MET_B, FACE_PARAM_FLOAT4, head.b, head.dout);
	if (head.alpha)
	{
		FaceParamsAdd(&pbuf, MET_ALPHA, FACE_PARAM_FLOAT4, head.alpha, head.dout);
		FaceParamsAdd(&pbuf, MET_BETA, FACE_PARAM_FLOAT4, &head.beta, 1);
	}
	for (int i = 0; i < head.dout * head.din; i++)
		if (!isfinite(head.W[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s: training diverged", fn),
					 errhint("Lower \"learning_rate\".")));

	initStringInfo(&mbuf);
	appendStringInfo(&mbuf, "{\"rows\": %d, \"people\": %d, \"train_people\": %d, \"heldout_people\": %d, "
					 "\"train_rows\": %lld, \"heldout_rows\": %lld, \"evaluated_on\": \"%s\", \"seconds\": %.3f, ",
					 rows->n, npeople, res.train_people, res.heldout_people,
					 (long long) res.train_rows, (long long) res.heldout_rows,
					 res.heldout_people ? "heldout people" : "training people",
					 (double) TimestampDifferenceMilliseconds(start, GetCurrentTimestamp()) / 1000.0);
	json_report(&mbuf, "base", &res.base);
	appendStringInfoString(&mbuf, ", ");
	json_report(&mbuf, "initial", &res.initial);
	appendStringInfoString(&mbuf, ", ");
	json_report(&mbuf, "trained", &res.trained);
	appendStringInfo(&mbuf, ", \"epochs\": [%s]}", epochs_log.data);

	initStringInfo(&obuf);
	appendStringInfo(&obuf, "{\"dims\": %d, \"hidden\": 0, \"init\": \"%s\", \"epochs\": %d, "
					 "\"people_per_batch\": %d, \"photos_per_person\": %d, \"learning_rate\": %g, "
					 "\"weight_decay\": %g, \"validation\": %g, \"seed\": %llu",
					 param.dims_out, param.init_pca ? "pca" : "identity", param.epochs,
					 param.people_per_batch, param.photos_per_person, param.learning_rate,
					 param.weight_decay, param.validation, (unsigned long long) param.seed);
	if (param.loss != FC_METRIC_BINARY)
		appendStringInfo(&obuf, ", \"margin\": %g", param.margin);
	if (param.loss == FC_METRIC_TRIPLET)
		appendStringInfo(&obuf, ", \"mining\": \"%s\"", mining_names[param.mining]);
	appendStringInfoChar(&obuf, '}');

	ereport(NOTICE,
			(errmsg("%s: on %d %s, AUC %.4f -> %.4f, EER %.4f -> %.4f (base -> trained)", fn,
					res.heldout_people ? res.heldout_people : res.train_people,
					res.heldout_people ? "held-out people" : "training people (none held out)",
					res.base.auc, res.trained.auc, res.base.eer, res.trained.eer)));

	model.name = name;
	model.kind = "metric";
	model.method = loss;
	model.base_model = rows->model;
	model.dims_in = head.din;
	model.dims_out = head.dout;
	model.params = FaceParamsFinish(&pbuf);
	model.options = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(obuf.data)));
	model.metrics = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(mbuf.data)));
	PG_RETURN_INT32(FaceModelStore(&model));
}

/* ------------------------------------------------ predictors */

/* face_project(embedding, model int) -> face_embedding tagged with model */
Datum
face_project(PG_FUNCTION_ARGS)
{
	FaceEmbedding *e = PG_GETARG_FACE_EMBEDDING_P(0);
	FaceHead   *fh = FaceModelGet(fcinfo, PG_GETARG_INT32(1), "metric", "face_project", head_parse);

	head_check_input(fh, e, "face_project");
	PG_RETURN_FACE_EMBEDDING_P(head_apply(fh, e));
}

/* face_similarity(a, b, model int) -> P(same person) from a binary head */
Datum
face_similarity(PG_FUNCTION_ARGS)
{
	const char *fn = "face_similarity";
	FaceEmbedding *a = PG_GETARG_FACE_EMBEDDING_P(0);
	FaceEmbedding *b = PG_GETARG_FACE_EMBEDDING_P(1);
	FaceHead   *fh = FaceModelGet(fcinfo, PG_GETARG_INT32(2), "metric", fn, head_parse);
	FaceEmbedding *pa,
			   *pb;

	if (!fh->binary)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s needs a head trained with the binary loss; model %d is not one", fn, fh->id),
				 errhint("Use face_project() and a distance, or face_calibrate() with the head, for other heads.")));
	head_check_input(fh, a, fn);
	head_check_input(fh, b, fn);
	pa = head_apply(fh, a);
	pb = head_apply(fh, b);
	PG_RETURN_FLOAT8(fc_binary_probability(pa->x, pb->x, fh->h.dout, fh->h.alpha, fh->h.beta));
}
