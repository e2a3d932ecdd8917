/* embed.c: SQL functions over the face pipeline (placeholder until the pipeline lands) */
#include "postgres.h"

#include "face.h"

void
FaceEmbedInit(void)
{
}
