/* faceann.c: the face ANN index access method (placeholder until the AM lands) */
#include "postgres.h"

#include "face.h"

void
FaceIndexInit(void)
{
}
