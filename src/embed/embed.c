/*-------------------------------------------------------------------------
 *
 * embed.c
 *	  SQL entry points of the face pipeline: embed(bytea), faces(bytea),
 *	  embed_crop(bytea), and the face.* GUCs that steer them.
 *
 * The work happens in the core library (src/core/pipeline.c), which never
 * sees PostgreSQL.  This file supplies what the core needs from a backend:
 *	- the models, opened lazily on first use and kept (malloc'd, outside any
 *	  memory context) for the backend's lifetime; reopened if
 *	  face.model_dir changes;
 *	- an allocator over a per-call memory context (an ERROR anywhere frees
 *	  it wholesale); it never throws, so no longjmp crosses core code;
 *	- a cancellation hook reading QueryCancelPending/ProcDiePending, after
 *	  which we run CHECK_FOR_INTERRUPTS() ourselves;
 *	- the mapping of each fc_status to an SQLSTATE (FaceReportError).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/geo_decls.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "compat.h"
#include "type/embedding.h"
#include "embed.h"
#include "core/image/image.h"
#include "core/face/pipeline.h"
#include "photo_limits.h"
#include "precision.h"

/* GUCs */
static char *face_model_dir = NULL;
static double face_min_confidence = 0.5;

/* The backend's models, and the directory they came from. */
static fc_models *face_models = NULL;
static char *face_models_dir = NULL;

/* Default model directory: where "make install" puts them, <sharedir>/extension/face. */
static char face_default_model_dir[MAXPGPATH];

/* ------------------------------------------------------------ core hooks */

static void *
face_palloc(void *ctx, size_t size)
{
	/* NO_OOM: the core expects NULL, never a longjmp, when memory runs out */
	return MemoryContextAllocExtended((MemoryContext) ctx, size,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void
face_pfree(void *ctx, void *ptr)
{
	pfree(ptr);
}

/*
 * Nonzero when CHECK_FOR_INTERRUPTS() would act: a pending cancel or
 * termination that is not held off.  While interrupts are held (a caller in
 * HOLD_INTERRUPTS), stopping the core would only turn into our own
 * "interrupted" ERROR, which the holdoff exists to prevent.
 */
static int
face_interrupted(void *ctx)
{
	return (QueryCancelPending || ProcDiePending) && INTERRUPTS_CAN_BE_PROCESSED();
}

/* ------------------------------------------------------------ errors */

/*
 * The core's message, with prefix in front unless it already says what
 * failed ("could not decode PNG image: ...").
 */
static const char *
FaceMessage(const char *prefix, const fc_error *err)
{
	if (strncmp(err->message, "could not ", 10) == 0)
		return err->message;
	return psprintf("%s: %s", prefix, err->message);
}

/*
 * ERROR for a failed core call.  Cancellation first gives
 * CHECK_FOR_INTERRUPTS() the chance to report it the usual way.
 */
void
FaceReportError(const fc_error *err)
{
	switch (err->status)
	{
		case FC_ERR_CANCELLED:
			CHECK_FOR_INTERRUPTS();
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("face pipeline interrupted")));
			break;
		case FC_ERR_NOT_AN_IMAGE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s", FaceMessage("could not decode image", err)),
					 errhint("embed() reads JPEG and PNG photos.")));
			break;
		case FC_ERR_UNSUPPORTED_FORMAT:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("%s", err->message),
					 errhint("Convert the photo to JPEG or PNG.")));
			break;
		case FC_ERR_CORRUPT_IMAGE:
			/* the input value is malformed: a data exception, not on-disk corruption */
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("%s", FaceMessage("could not decode image", err))));
			break;
		case FC_ERR_IMAGE_TOO_LARGE:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s", FaceMessage("image too large", err)),
					 errhint("A superuser can raise face.max_pixels (now %s), or downscale the photo.",
							 FaceLimitShow("face.max_pixels"))));
			break;
		case FC_ERR_DECODE_MEMORY:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s", FaceMessage("image too large to decode", err)),
					 errhint("A superuser can raise face.max_decode_memory (now %s), or re-encode the photo smaller or as baseline JPEG.",
							 FaceLimitShow("face.max_decode_memory"))));
			break;
		case FC_ERR_DECODE_LIMIT:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s", FaceMessage("could not decode image", err)),
					 errdetail("The limit is fixed; cameras and common encoders stay far below it.")));
			break;
		case FC_ERR_INVALID_ARGUMENT:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s", err->message)));
			break;
		case FC_ERR_MODEL:
			ereport(ERROR,
					(errcode(ERRCODE_CONFIG_FILE_ERROR),
					 errmsg("could not load the face models: %s", err->message),
					 errhint("Run \"make models && make install\" in the face source tree, or point face.model_dir at the converted models.")));
			break;
		case FC_ERR_NOMEM:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory"),
					 errdetail("%s", err->message)));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("face pipeline failed: %s", err->message)));
	}
}

/* ------------------------------------------------------------ models */

/*
 * The backend's models, loading them on first use (or after face.model_dir
 * changed).  A missing file is UNDEFINED_FILE, anything else wrong with it
 * CONFIG_FILE_ERROR; both say how to fix it.
 */
fc_models *
FaceGetModels(void)
{
	static const char *const files[] = {FC_MODEL_DETECTOR, FC_MODEL_LANDMARKS, FC_MODEL_RECOGNIZER};
	static const fc_hooks hooks = {&fc_malloc_allocator, face_interrupted, NULL};
	const char *dir = face_model_dir;
	char	   *dir_copy;
	fc_error	err = {0};
	fc_models  *m;

	if (face_models && strcmp(face_models_dir, dir) == 0)
		return face_models;
	if (face_models)
	{
		fc_models_close(face_models);
		face_models = NULL;
		pfree(face_models_dir);
		face_models_dir = NULL;
	}
	for (int i = 0; i < lengthof(files); i++)
	{
		char		path[MAXPGPATH];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (stat(path, &st) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FILE),
					 errmsg("face model \"%s\" not found", path),
					 errhint("Run \"make models && make install\" in the face source tree, or point face.model_dir at the converted models.")));
	}
	/* copy the name first: an ERROR after opening would leak the models and
	 * leave them published under a stale name */
	dir_copy = MemoryContextStrdup(TopMemoryContext, dir);
	if (fc_models_open(dir, &hooks, &m, &err) != FC_OK)
	{
		pfree(dir_copy);
		FaceReportError(&err);
	}
	face_models_dir = dir_copy;
	face_models = m;
	return m;
}

/* ------------------------------------------------------------ one call */

void
FaceCallBegin(FaceCall *call)
{
	call->cxt = AllocSetContextCreate(CurrentMemoryContext, "face pipeline",
									  ALLOCSET_DEFAULT_SIZES);
	call->alloc.alloc = face_palloc;
	call->alloc.free = face_pfree;
	call->alloc.ctx = call->cxt;
	call->hooks.allocator = &call->alloc;
	call->hooks.interrupted = face_interrupted;
	call->hooks.interrupt_ctx = NULL;
	fc_pipeline_defaults(&call->opts);
	call->opts.min_confidence = (float) face_min_confidence;
	FaceLimitsApply(&call->opts);
}

void
FaceCallEnd(FaceCall *call)
{
	MemoryContextDelete(call->cxt);
}

static void
FaceLogTimings(const char *what, int n, const fc_timings *t)
{
	elog(DEBUG1, "%s: %d face(s): decode %.1f ms (1/%d), detect %.1f ms, landmarks %.1f ms, align %.1f ms, recognize %.1f ms, total %.1f ms",
		 what, n, t->decode_ms, t->decode_scale, t->detect_ms, t->landmarks_ms,
		 t->align_ms, t->recognize_ms, t->total_ms);
}

/*
 * Run the pipeline on a bytea: every face, in the call's context.  Errors
 * are reported (after the call's context is gone).
 */
fc_face *
FaceRunPhoto(FaceCall *call, bytea *photo, int *n)
{
	fc_models  *m = FaceGetModels();
	fc_face    *faces;
	fc_timings	t;
	fc_error	err = {0};
	fc_status	st;

	FaceCallBegin(call);
	st = fc_pipeline_faces(m, (const uint8_t *) VARDATA_ANY(photo), VARSIZE_ANY_EXHDR(photo),
						   &call->opts, &call->hooks, &faces, n, &t, &err);
	if (st != FC_OK)
	{
		FaceCallEnd(call);
		FaceReportError(&err);
	}
	FaceLogTimings("faces", *n, &t);
	return faces;
}

static FaceEmbedding *
FaceMakeEmbedding(const float *x)
{
	FaceEmbedding *e = FaceEmbeddingNew(FC_EMBEDDING_DIMS, FACE_MODEL_DLIB_RESNET);

	memcpy(e->x, x, sizeof(float) * FC_EMBEDDING_DIMS);
	return e;
}

/* ------------------------------------------------------------ SQL functions */

PG_FUNCTION_INFO_V1(face_embed);
PG_FUNCTION_INFO_V1(face_embed_crop);
PG_FUNCTION_INFO_V1(face_faces);

/*
 * embed(photo bytea) -> face_embedding: the most prominent face's embedding
 * (largest box area x detector score, fc_pipeline_most_prominent), NULL
 * when there is no face.
 */
Datum
face_embed(PG_FUNCTION_ARGS)
{
	bytea	   *photo = PG_GETARG_BYTEA_PP(0);
	FaceCall	call;
	fc_face    *faces;
	FaceEmbedding *result = NULL;
	int			n,
				best;

	faces = FaceRunPhoto(&call, photo, &n);
	best = fc_pipeline_most_prominent(faces, n);
	if (best >= 0)
		result = FaceMakeEmbedding(faces[best].embedding);
	FaceCallEnd(&call);
	if (result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_FACE_EMBEDDING_P(result);
}

/* embed_crop(crop bytea) -> face_embedding: the photo is one tight face crop. */
Datum
face_embed_crop(PG_FUNCTION_ARGS)
{
	bytea	   *photo = PG_GETARG_BYTEA_PP(0);
	fc_models  *m = FaceGetModels();
	FaceCall	call;
	fc_face		face;
	fc_timings	t;
	fc_error	err = {0};
	fc_status	st;

	FaceCallBegin(&call);
	st = fc_pipeline_crop(m, (const uint8_t *) VARDATA_ANY(photo), VARSIZE_ANY_EXHDR(photo),
						  &call.opts, &call.hooks, &face, &t, &err);
	FaceCallEnd(&call);
	if (st != FC_OK)
		FaceReportError(&err);
	FaceLogTimings("embed_crop", 1, &t);
	PG_RETURN_FACE_EMBEDDING_P(FaceMakeEmbedding(face.embedding));
}

/*
 * faces(photo bytea) -> SETOF (face int, x real, y real, width real,
 * height real, score real, landmarks point[], embedding face_embedding),
 * one row per face in descending score order, numbered from 1.
 */
Datum
face_faces(PG_FUNCTION_ARGS)
{
	bytea	   *photo = PG_GETARG_BYTEA_PP(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FaceCall	call;
	fc_face    *faces;
	int			n;

	InitMaterializedSRF(fcinfo, 0);
	faces = FaceRunPhoto(&call, photo, &n);
	for (int i = 0; i < n; i++)
	{
		const fc_face *f = &faces[i];
		Datum		values[8];
		bool		nulls[8] = {0};
		Datum		pts[FC_LANDMARK_COUNT];
		MemoryContext old = MemoryContextSwitchTo(call.cxt);

		for (int k = 0; k < FC_LANDMARK_COUNT; k++)
		{
			Point	   *p = palloc(sizeof(Point));

			p->x = f->landmarks[2 * k];
			p->y = f->landmarks[2 * k + 1];
			pts[k] = PointPGetDatum(p);
		}
		values[0] = Int32GetDatum(i + 1);
		values[1] = Float4GetDatum(f->x);
		values[2] = Float4GetDatum(f->y);
		values[3] = Float4GetDatum(f->w);
		values[4] = Float4GetDatum(f->h);
		values[5] = Float4GetDatum(f->score);
		values[6] = PointerGetDatum(construct_array(pts, FC_LANDMARK_COUNT, POINTOID,
													sizeof(Point), false, TYPALIGN_DOUBLE));
		values[7] = PointerGetDatum(FaceMakeEmbedding(f->embedding));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
	}
	FaceCallEnd(&call);
	return (Datum) 0;
}

/* ------------------------------------------------------------ GUCs */

static bool
FaceCheckModelDir(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || !is_absolute_path(*newval))
	{
		GUC_check_errdetail("face.model_dir must be an absolute path.");
		return false;
	}
	return true;
}

void
FaceEmbedInit(void)
{
	char		sharepath[MAXPGPATH];

	get_share_path(my_exec_path, sharepath);
	snprintf(face_default_model_dir, sizeof(face_default_model_dir),
			 "%s/extension/face", sharepath);

	DefineCustomStringVariable("face.model_dir",
							   "Directory of the converted face networks (*.fwt).",
							   "The default is the extension's share directory, where \"make install\" puts them.",
							   &face_model_dir,
							   face_default_model_dir,
							   PGC_SUSET, 0,
							   FaceCheckModelDir, NULL, NULL);
	DefineCustomRealVariable("face.min_confidence",
							 "Minimum detector score of a face.",
							 "face-api's default is 0.5; lower finds more faces and more false ones.",
							 &face_min_confidence,
							 0.5, 0.01, 0.99,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	FaceLimitsDefine();
	FaceDefinePrecisionGuc();
}
