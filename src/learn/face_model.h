/*-------------------------------------------------------------------------
 *
 * face_model.h
 *	  The face_model catalog: the models trained in the database (metric
 *	  heads, classifiers, calibrations), one immutable row each, and the
 *	  format of their params.  Every trainer stores through FaceModelStore;
 *	  every predictor loads through FaceModelGet.
 *
 * A row is the fitted model as a value (scikit-learn's estimator after
 * fit): kind and method, what it was trained on (base_model, dims, labels,
 * options) and how well it did (metrics).  Ids come from the extension's
 * sequence, 16384..32767, never reused; a metric head's id is the model tag
 * of the embeddings it produces.
 *
 * Rights: reads run with the caller's rights (SELECT is granted to PUBLIC);
 * the one INSERT of FaceModelStore runs as the table's owner, a fixed
 * statement of ours with parameters only (the C equivalent of a SECURITY
 * DEFINER function with a pinned search_path), after the caller's training
 * query has finished with the caller's rights.
 *
 * params: a small self-describing binary format (face_model_params.c),
 * validated on every load: a tampered or truncated row is an ERROR
 * (XX001 data_corrupted), never a crash.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FACE_MODEL_H
#define FACE_MODEL_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/jsonb.h"

#include "core/fc_common.h"

#define FACE_MODEL_ID_MIN		16384	/* the sequence's range (embedding.h: trained tags) */
#define FACE_MODEL_ID_MAX		32767

/* A stored row, as FaceModelGet hands it to a predictor's parser. */
typedef struct FaceModel
{
	int32		id;
	char	   *name;
	char	   *kind;			/* "metric", "classifier", "calibration" */
	char	   *method;			/* the loss or algorithm */
	int32		base_model;		/* model tag of the embeddings it takes */
	int32		dims_in;
	int32		dims_out;		/* 0 when it produces no embeddings */
	bytea	   *params;
	int			nlabels;
	char	  **labels;			/* NULL when nlabels == 0 */
	Jsonb	   *options;
	Jsonb	   *metrics;
} FaceModel;

/*
 * Insert m (id ignored) and return its new id.  ERROR 42710 if the name is
 * taken.  Runs the INSERT as the catalog's owner (see above).
 */
extern int32 FaceModelStore(const FaceModel *m);

/* ERROR 42710 (duplicate_object) if a model is called name; call before training. */
extern void FaceModelCheckNameFree(const char *name);

/* Read model id; ERROR 42704 if there is none, 42809 if kind (when not NULL) differs. */
extern FaceModel *FaceModelLoad(int32 id, const char *kind, const char *function);

/*
 * The parsed model id for this call site: loaded and parsed (parse(model)
 * returns the kind's own struct, allocated in CurrentMemoryContext) once
 * per query and kept in fn_extra; a different id reloads.
 */
typedef void *(*FaceModelParser) (const FaceModel *model);
extern void *FaceModelGet(FunctionCallInfo fcinfo, int32 id, const char *kind,
						  const char *function, FaceModelParser parse);

/* ------------------------------------------------ params (face_model_params.c) */

typedef enum FaceParamType
{
	FACE_PARAM_FLOAT4 = 1,
	FACE_PARAM_FLOAT8 = 2,
	FACE_PARAM_INT32 = 3
} FaceParamType;

/* Writer: begin, add sections (tag unique per model), finish into a bytea. */
extern void FaceParamsBegin(StringInfo buf);
extern void FaceParamsAdd(StringInfo buf, int tag, FaceParamType type, const void *data, int count);
extern bytea *FaceParamsFinish(StringInfo buf);

/*
 * Reader: section tag of model's params as a palloc'd aligned copy, after
 * checking the whole bytea (magic, version, every section's bounds, every
 * float finite).  count < 0 accepts any count (returned in *count_out, may
 * be NULL).  ERROR XX001 naming the model on anything wrong or missing.
 */
extern void *FaceParamsGet(const FaceModel *model, int tag, FaceParamType type,
						   int count, int *count_out);

/* ERROR XX001: model's params are invalid, why says how (a sentence). */
extern void FaceParamsCorrupt(const FaceModel *model, const char *why) pg_attribute_noreturn();

/* ------------------------------------------------ options (face_model_options.c) */

typedef enum FaceOptionType
{
	FACE_OPTION_INT,
	FACE_OPTION_FLOAT,
	FACE_OPTION_TEXT
} FaceOptionType;

/* One option a trainer takes: its name, type and bounds; the parse fills the rest. */
typedef struct FaceOption
{
	const char *name;
	FaceOptionType type;
	double		min;			/* bounds of a number (inclusive) */
	double		max;
	bool		set;			/* given in the options */
	double		fval;			/* its value (an INT's too) */
	char	   *sval;			/* a TEXT's value */
} FaceOption;

/*
 * Check options (a JSON object, may be NULL) against spec[0..n): an unknown
 * key, a value of the wrong type or out of bounds is an ERROR (22023).
 */
extern void FaceOptionsParse(Jsonb *options, FaceOption *spec, int n, const char *function);

/* ------------------------------------------------ the core's calls */

/* Allocator (palloc in CurrentMemoryContext, huge allowed) and interrupt hook for core calls. */
extern void FaceLearnHooks(fc_hooks *hooks, fc_allocator *alloc);
/* ERROR for a failed core call, prefixed with the SQL function's name. */
extern void FaceLearnReportError(const char *function, const fc_error *err) pg_attribute_noreturn();
/*
 * People of n labels: person[i] in 0..*npeople-1, numbered in the labels'
 * byte order (*names, palloc'd, gets the sorted distinct labels).
 */
extern int32 *FaceLabelsToPeople(char **labels, int n, int *npeople, char ***names);
/* maintenance_work_mem in bytes. */
extern int64 FaceLearnMemoryLimit(void);

#endif							/* FACE_MODEL_H */
