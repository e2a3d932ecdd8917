/*-------------------------------------------------------------------------
 *
 * face_model_params.c
 *	  The format of face_model.params (face_model.h): a header and tagged,
 *	  typed sections, checked whole on every read.
 *
 *	  header:  "FCMP"  uint32 version (1)  uint32 nsections
 *	  section: uint32 tag  uint32 type (FaceParamType)  uint32 count
 *	           count elements of the type (little-endian, as written)
 *
 * Each kind documents its sections where it writes them (calibrate.c:
 * CAL_*, ...).  The reader trusts nothing: a short or overlong bytea, an
 * unknown type, a count running past the end, a repeated tag or a
 * non-finite float is an ERROR naming the model.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "utils/memutils.h"

#include "face_model.h"

#define PARAMS_MAGIC	"FCMP"
#define PARAMS_VERSION	1
#define HEADER_SIZE		12
#define SECTION_HEADER	12

static int
type_size(uint32 type)
{
	switch (type)
	{
		case FACE_PARAM_FLOAT4:
		case FACE_PARAM_INT32:
			return 4;
		case FACE_PARAM_FLOAT8:
			return 8;
	}
	return 0;
}

void
FaceParamsBegin(StringInfo buf)
{
	uint32		zero = 0,
				version = PARAMS_VERSION;

	initStringInfo(buf);
	appendStringInfoSpaces(buf, VARHDRSZ);	/* the varlena header, set by Finish */
	appendBinaryStringInfo(buf, PARAMS_MAGIC, 4);
	appendBinaryStringInfo(buf, (char *) &version, 4);
	appendBinaryStringInfo(buf, (char *) &zero, 4);
}

void
FaceParamsAdd(StringInfo buf, int tag, FaceParamType type, const void *data, int count)
{
	uint32		hdr[3] = {(uint32) tag, (uint32) type, (uint32) count};
	uint32		nsections;

	Assert(type_size(type) > 0 && count >= 0);
	appendBinaryStringInfo(buf, (char *) hdr, sizeof(hdr));
	if (count > 0)
		appendBinaryStringInfo(buf, data, count * type_size(type));
	memcpy(&nsections, buf->data + VARHDRSZ + 8, 4);
	nsections++;
	memcpy(buf->data + VARHDRSZ + 8, &nsections, 4);
}

bytea *
FaceParamsFinish(StringInfo buf)
{
	bytea	   *result = (bytea *) buf->data;

	SET_VARSIZE(result, buf->len);
	return result;
}

void
FaceParamsCorrupt(const FaceModel *model, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("face model %d (\"%s\") has invalid params", model->id, model->name),
			 errdetail("%s", why),
			 errhint("The row was altered outside the extension's functions: drop the model and train it again.")));
}

void *
FaceParamsGet(const FaceModel *model, int tag, FaceParamType type,
			  int count, int *count_out)
{
	const char *p = VARDATA_ANY(model->params);
	size_t		len = VARSIZE_ANY_EXHDR(model->params);
	uint32		version,
				nsections;
	size_t		off = HEADER_SIZE;
	void	   *found = NULL;
	int			found_count = 0;

	if (len < HEADER_SIZE || memcmp(p, PARAMS_MAGIC, 4) != 0)
		FaceParamsCorrupt(model, "The params do not start with the format's header.");
	memcpy(&version, p + 4, 4);
	memcpy(&nsections, p + 8, 4);
	if (version != PARAMS_VERSION)
		FaceParamsCorrupt(model, psprintf("The params have format version %u, not %d.", version, PARAMS_VERSION));

	for (uint32 s = 0; s < nsections; s++)
	{
		uint32		hdr[3];
		int			size;
		size_t		bytes;

		if (len - off < SECTION_HEADER)
			FaceParamsCorrupt(model, psprintf("Section %u of %u is truncated.", s + 1, nsections));
		memcpy(hdr, p + off, sizeof(hdr));
		off += SECTION_HEADER;
		size = type_size(hdr[1]);
		if (size == 0)
			FaceParamsCorrupt(model, psprintf("Section %u has unknown type %u.", s + 1, hdr[1]));
		bytes = (size_t) hdr[2] * size;
		if (hdr[2] > MaxAllocSize / 8 || bytes > len - off)
			FaceParamsCorrupt(model, psprintf("Section %u runs past the end of the params.", s + 1));
		for (uint32 i = 0; i < hdr[2] && hdr[1] != FACE_PARAM_INT32; i++)
		{
			double		v;

			if (hdr[1] == FACE_PARAM_FLOAT4)
			{
				float		f;

				memcpy(&f, p + off + (size_t) i * 4, 4);
				v = f;
			}
			else
				memcpy(&v, p + off + (size_t) i * 8, 8);
			if (!isfinite(v))
				FaceParamsCorrupt(model, psprintf("Section %u holds a value that is not finite.", s + 1));
		}
		if (hdr[0] == (uint32) tag)
		{
			if (found)
				FaceParamsCorrupt(model, psprintf("Section tag %d appears twice.", tag));
			if (hdr[1] != (uint32) type || (count >= 0 && hdr[2] != (uint32) count))
				FaceParamsCorrupt(model, psprintf("Section %d has type %u and %u elements, not type %d and %d.",
											   tag, hdr[1], hdr[2], (int) type, count));
			found = palloc(bytes + 1);
			memcpy(found, p + off, bytes);
			found_count = (int) hdr[2];
		}
		off += bytes;
	}
	if (off != len)
		FaceParamsCorrupt(model, "The params have trailing bytes after the last section.");
	if (!found)
		FaceParamsCorrupt(model, psprintf("Section %d is missing.", tag));
	if (count_out)
		*count_out = found_count;
	return found;
}
