/*-------------------------------------------------------------------------
 *
 * face_chip.c
 *	  face_chip(photo, face, size) and face_crop_chip(photo, size): the
 *	  aligned face chip (what the recognition net sees) as a PNG, for
 *	  thumbnails.  Glue over fc_pipeline_chip and fc_png_write.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "core/image/png_write.h"
#include "embed.h"

PG_FUNCTION_INFO_V1(face_chip);
PG_FUNCTION_INFO_V1(face_crop_chip);

/* chip side in pixels: the recognizer's own 150 by default */
#define FACE_CHIP_SIZE_DEFAULT	150
#define FACE_CHIP_SIZE_MIN		16
#define FACE_CHIP_SIZE_MAX		1024

static int
chip_size_arg(FunctionCallInfo fcinfo, int argno, const char *fn)
{
	int32		size;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: size must not be NULL", fn)));
	size = PG_GETARG_INT32(argno);
	if (size < FACE_CHIP_SIZE_MIN || size > FACE_CHIP_SIZE_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: size must be between %d and %d pixels, not %d",
						fn, FACE_CHIP_SIZE_MIN, FACE_CHIP_SIZE_MAX, size)));
	return size;
}

/* the chip of face in photo as a PNG bytea; ends the call (errors after freeing it) */
static bytea *
chip_png(FaceCall *call, bytea *photo, const fc_face *face, int size)
{
	fc_image	chip = {0};
	uint8_t    *png = NULL;
	size_t		len = 0;
	fc_error	err = {0};
	fc_status	st;
	bytea	   *result = NULL;

	st = fc_pipeline_chip((const uint8_t *) VARDATA_ANY(photo), VARSIZE_ANY_EXHDR(photo),
						  face, size, &call->opts, &call->hooks, &chip, &err);
	if (st == FC_OK)
		st = fc_png_write(&chip, &call->alloc, &png, &len, &err);
	if (st == FC_OK)
	{
		/* in the caller's context: the call's own is freed just below */
		result = (bytea *) palloc(VARHDRSZ + len);
		SET_VARSIZE(result, VARHDRSZ + len);
		memcpy(VARDATA(result), png, len);
	}
	FaceCallEnd(call);
	if (st != FC_OK)
		FaceReportError(&err);
	return result;
}

/*
 * face_chip(photo bytea, face int DEFAULT NULL, size int DEFAULT 150) -> bytea:
 * face NULL is the face embed() picks, a number the row of faces(); NULL
 * when the photo has no face (or photo is NULL).
 */
Datum
face_chip(PG_FUNCTION_ARGS)
{
	const char *fn = "face_chip";
	bytea	   *photo;
	int			size = chip_size_arg(fcinfo, 2, fn);
	FaceCall	call;
	fc_face    *faces;
	fc_face		face;
	int			n,
				pick;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	photo = PG_GETARG_BYTEA_PP(0);
	if (!PG_ARGISNULL(1) && PG_GETARG_INT32(1) < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: face %d does not exist", fn, PG_GETARG_INT32(1)),
				 errdetail("Faces are numbered from 1, as faces() numbers them.")));
	faces = FaceRunPhoto(&call, photo, &n);
	if (n == 0)
	{
		FaceCallEnd(&call);
		PG_RETURN_NULL();
	}
	if (PG_ARGISNULL(1))
		pick = fc_pipeline_most_prominent(faces, n);
	else
	{
		pick = PG_GETARG_INT32(1) - 1;
		if (pick >= n)
		{
			FaceCallEnd(&call);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: face %d does not exist", fn, pick + 1),
					 errdetail("The photo has %d face%s.", n, n == 1 ? "" : "s")));
		}
	}
	face = faces[pick];
	PG_RETURN_BYTEA_P(chip_png(&call, photo, &face, size));
}

/*
 * face_crop_chip(photo bytea, size int DEFAULT 150) -> bytea: the photo is
 * one tight face crop, aligned as embed_crop aligns it.
 */
Datum
face_crop_chip(PG_FUNCTION_ARGS)
{
	const char *fn = "face_crop_chip";
	bytea	   *photo;
	int			size = chip_size_arg(fcinfo, 1, fn);
	fc_models  *m = FaceGetModels();
	FaceCall	call;
	fc_face		face;
	fc_error	err = {0};
	fc_status	st;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	photo = PG_GETARG_BYTEA_PP(0);
	FaceCallBegin(&call);
	st = fc_pipeline_crop(m, (const uint8_t *) VARDATA_ANY(photo), VARSIZE_ANY_EXHDR(photo),
						  &call.opts, &call.hooks, &face, NULL, &err);
	if (st != FC_OK)
	{
		FaceCallEnd(&call);
		FaceReportError(&err);
	}
	PG_RETURN_BYTEA_P(chip_png(&call, photo, &face, size));
}
