/*-------------------------------------------------------------------------
 *
 * cluster.c
 *	  face_cluster(query text, options jsonb) -> TABLE(key, cluster, label):
 *	  the SQL face of core/learn/cluster.c over core/learn/knn.c.
 *
 * Steps: read the rows (face_rows.c: key, embedding[, label]), choose the
 * threshold (options.threshold, else options.calibration at options.far,
 * else the embedding model's own), check that the neighbour graph and the
 * clustering fit in maintenance_work_mem, build the graph, cluster, and
 * return one row per input row in the query's order.  Large inputs
 * (FACE_CLUSTER_NOTICE_ROWS rows or more) report each step in a NOTICE.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"

#include "compat.h"
#include "core/learn/cluster.h"
#include "core/learn/knn.h"
#include "learn/face_model.h"
#include "learn/face_rows.h"
#include "type/embedding.h"

PG_FUNCTION_INFO_V1(face_cluster);

/* face_calibrate.c: the calibration's threshold at a FAR */
extern Datum face_threshold(PG_FUNCTION_ARGS);

#define FACE_CLUSTER_NOTICE_ROWS	10000	/* from this many rows on, progress NOTICEs */

/*
 * The L2 distance below which two faces of the dlib ResNet (model 1) are
 * the same person: dlib's own figure (99.38% on LFW at 0.6).
 */
#define FACE_CLUSTER_DLIB_THRESHOLD 0.6

/* the default threshold of a model tag, or -1 when the model has none */
static double
model_threshold(int model)
{
	return model == FACE_MODEL_DLIB_RESNET ? FACE_CLUSTER_DLIB_THRESHOLD : -1;
}

/* options.calibration's threshold at far, through face_threshold itself */
static double
calibration_threshold(int32 calibration, double far, const char *fn)
{
	FmgrInfo	fl = {0};
	LOCAL_FCINFO(fc, 2);
	Datum		d;

	fl.fn_addr = face_threshold;
	fl.fn_oid = InvalidOid;
	fl.fn_nargs = 2;
	fl.fn_strict = true;
	fl.fn_mcxt = CurrentMemoryContext;
	InitFunctionCallInfoData(*fc, &fl, 2, InvalidOid, NULL, NULL);
	fc->args[0].value = Int32GetDatum(calibration);
	fc->args[0].isnull = false;
	fc->args[1].value = Float8GetDatum(far);
	fc->args[1].isnull = false;
	d = face_threshold(fc);
	if (fc->isnull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: calibration %d has no threshold at FAR %g", fn, calibration, far),
				 errhint("Choose a larger option \"far\", or give option \"threshold\".")));
	return DatumGetFloat8(d);
}

/* label ids for the rows (-1 where NULL), ids in the labels' byte order */
static int32 *
label_ids(FaceRows *rows, int *nlabels, char ***names)
{
	int32	   *id = palloc(sizeof(int32) * (rows->n + 1));
	char	  **given = palloc(sizeof(char *) * (rows->n + 1));
	int			m = 0;

	for (int i = 0; i < rows->n; i++)
		if (rows->labels && rows->labels[i])
			given[m++] = rows->labels[i];
	{
		int32	   *person = FaceLabelsToPeople(given, m, nlabels, names);

		m = 0;
		for (int i = 0; i < rows->n; i++)
			id[i] = (rows->labels && rows->labels[i]) ? person[m++] : -1;
	}
	return id;
}

static double
elapsed_s(instr_time start)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, start);
	return INSTR_TIME_GET_DOUBLE(now);
}

/*
 * face_cluster(query text, options jsonb DEFAULT '{}')
 *	  -> TABLE(key text, cluster int, label text)
 * Options: method ("whispers", "dbscan"), threshold (L2), calibration and
 * far, min_faces, iterations, neighbours, probes, seed.
 */
Datum
face_cluster(PG_FUNCTION_ARGS)
{
	const char *fn = "face_cluster";
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query;
	Jsonb	   *options = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	FaceOption	spec[] = {
		{"method", FACE_OPTION_TEXT},
		{"threshold", FACE_OPTION_FLOAT, 1e-6, 1e6},
		{"calibration", FACE_OPTION_INT, 1, PG_INT32_MAX},
		{"far", FACE_OPTION_FLOAT, 1e-9, 0.5},
		{"min_faces", FACE_OPTION_INT, 1, 1000000},
		{"iterations", FACE_OPTION_INT, 1, 10000},
		{"neighbours", FACE_OPTION_INT, 2, 1024},
		{"probes", FACE_OPTION_INT, 1, 65536},
		{"seed", FACE_OPTION_INT, 0, 9007199254740992.0},
	};
	FaceRowsSpec rspec = {0};
	FaceRows   *rows;
	fc_cluster_params p = {FC_CLUSTER_WHISPERS, 1, 100, 0};
	int			k = 32,
				probes = 8;
	double		threshold;
	int32	   *label,
			   *cluster,
			   *cluster_label;
	char	  **names;
	int			nlabels,
				nclusters;
	fc_allocator alloc;
	fc_hooks	hooks;
	fc_error	err;
	fc_knn_graph graph;
	Size		need,
				limit = (Size) maintenance_work_mem * 1024;
	bool		verbose;
	instr_time	start;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: the query must not be NULL", fn)));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	InitMaterializedSRF(fcinfo, 0);

	FaceOptionsParse(options, spec, lengthof(spec), fn);
	if (spec[0].set)
	{
		if (strcmp(spec[0].sval, "whispers") == 0)
			p.method = FC_CLUSTER_WHISPERS;
		else if (strcmp(spec[0].sval, "dbscan") == 0)
		{
			p.method = FC_CLUSTER_DBSCAN;
			p.min_faces = 3;
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: unknown method \"%s\"", fn, spec[0].sval),
					 errhint("The methods are \"whispers\" (chinese whispers, the default) and \"dbscan\".")));
	}
	if (spec[1].set && (spec[2].set || spec[3].set))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: give option \"threshold\" or options \"calibration\" and \"far\", not both", fn)));
	if (spec[3].set && !spec[2].set)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: option \"far\" needs option \"calibration\"", fn)));
	if (spec[4].set)
		p.min_faces = (int) spec[4].fval;
	if (spec[5].set)
		p.iterations = (int) spec[5].fval;
	if (spec[6].set)
		k = (int) spec[6].fval;
	if (spec[7].set)
		probes = (int) spec[7].fval;
	if (spec[8].set)
		p.seed = (uint64) spec[8].fval;

	INSTR_TIME_SET_CURRENT(start);
	rspec.function = fn;
	rspec.want_label = true;
	rspec.label_optional = true;
	rspec.unique_keys = true;
	rspec.memory_limit_kb = maintenance_work_mem;
	rows = FaceReadRows(query, &rspec);
	verbose = rows->n >= FACE_CLUSTER_NOTICE_ROWS;
	if (verbose)
		ereport(NOTICE,
				(errmsg("%s: read %d rows of %d dimensions in %.1f s", fn, rows->n, rows->dims,
						elapsed_s(start))));

	if (spec[1].set)
		threshold = spec[1].fval;
	else if (spec[2].set)
		threshold = calibration_threshold((int32) spec[2].fval, spec[3].set ? spec[3].fval : 1e-3, fn);
	else
	{
		threshold = model_threshold(rows->model);
		if (threshold < 0 && rows->n > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: no default threshold for embeddings of model %d", fn, rows->model),
					 errhint("Give option \"threshold\" (an L2 distance), or options \"calibration\" and \"far\".")));
	}

	/* the rows' own bytes plus the graph and the clustering's scratch */
	need = (Size) rows->n * ((Size) rows->dims * sizeof(float) + 64) +
		fc_knn_memory(rows->n, Max(rows->dims, 1), k) + fc_cluster_memory(rows->n, k);
	if (need > limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s: clustering %d rows needs about %zu kB, more than maintenance_work_mem (%d kB)",
						fn, rows->n, need / 1024, maintenance_work_mem),
				 errhint("Raise maintenance_work_mem, or lower option \"neighbours\" (now %d).", k)));

	label = label_ids(rows, &nlabels, &names);
	cluster = palloc_extended(sizeof(int32) * (rows->n + 1), MCXT_ALLOC_HUGE);
	cluster_label = palloc_extended(sizeof(int32) * (rows->n + 1), MCXT_ALLOC_HUGE);
	FaceLearnHooks(&hooks, &alloc);
	if (rows->n > 0)
	{
		if (fc_knn_build(rows->emb, rows->n, rows->dims, (float) threshold, k, probes, p.seed,
						 &hooks, &graph, &err) != FC_OK)
			FaceLearnReportError(fn, &err);
		if (verbose)
			ereport(NOTICE,
					(errmsg("%s: neighbour graph within %g built at %.1f s", fn, threshold,
							elapsed_s(start))));
		if (fc_cluster(&graph, (const char *const *) rows->keys, label, nlabels, &p, &hooks,
					   cluster, cluster_label, &nclusters, &err) != FC_OK)
			FaceLearnReportError(fn, &err);
		fc_knn_free(&graph, &hooks);
		if (verbose)
			ereport(NOTICE,
					(errmsg("%s: %d clusters at %.1f s", fn, nclusters, elapsed_s(start))));
	}

	for (int i = 0; i < rows->n; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, cluster[i] == 0, cluster_label[i] < 0};

		values[0] = CStringGetTextDatum(rows->keys[i]);
		values[1] = Int32GetDatum(cluster[i]);
		values[2] = cluster_label[i] < 0 ? (Datum) 0 : CStringGetTextDatum(names[cluster_label[i]]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
