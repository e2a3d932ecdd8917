/*-------------------------------------------------------------------------
 *
 * precision.c
 *	  The face.precision GUC: 'exact' runs every convolution through the
 *	  fp32 sgemm (the bits the goldens against face-api were measured on);
 *	  'fast' runs the detector's 1x1 convolutions through the project's
 *	  int8 kernels (src/core/nn/gemm.h), which give the same bits on every
 *	  CPU and stay within the bounds test/unit/test_gemm_fidelity.c checks
 *	  (the default is quant.h's FC_PRECISION_DEFAULT, 'exact' until 'fast'
 *	  meets the stricter bounds that test measures and reports).
 *
 * The setting is copied into the core's fc_nn_precision by the assign
 * hook, so it takes effect for the next call in this backend.  Embeddings
 * keep their model tag: both precisions produce the same model's vectors.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "precision.h"
#include "core/nn/quant.h"

static const struct config_enum_entry face_precision_options[] = {
	{"exact", FC_PRECISION_EXACT, false},
	{"fast", FC_PRECISION_FAST, false},
	{NULL, 0, false}
};

static int	face_precision = FC_PRECISION_DEFAULT;

static void
FaceAssignPrecision(int newval, void *extra)
{
	fc_nn_precision = (fc_precision) newval;
}

void
FaceDefinePrecisionGuc(void)
{
	DefineCustomEnumVariable("face.precision",
							 "Arithmetic of the face networks: exact (fp32) or fast (int8 where it pays).",
							 "fast runs the detector's 1x1 convolutions in int8; "
							 "fast finds the same faces with boxes within a few percent and embeddings within about 0.2 of exact (README).",
							 &face_precision,
							 FC_PRECISION_DEFAULT,
							 face_precision_options,
							 PGC_USERSET, 0,
							 NULL, FaceAssignPrecision, NULL);
}
