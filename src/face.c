/*-------------------------------------------------------------------------
 *
 * face.c
 *	  Module entry point: _PG_init registers every subsystem's GUCs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "compat.h"
#include "face.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	FaceEmbeddingInit();
	FaceEmbedInit();
	FaceIndexInit();
	FaceVerifyInit();
	MarkGUCPrefixReserved("face");
}
