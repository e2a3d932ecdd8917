/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Every PG_VERSION_NUM shim of the extension, in one place.
 *	  Tested on PostgreSQL 15; written to build on 13-17.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FACE_COMPAT_H
#define FACE_COMPAT_H

#include "postgres.h"
#include "utils/guc.h"

#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

#endif							/* FACE_COMPAT_H */
