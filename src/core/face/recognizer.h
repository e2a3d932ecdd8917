/*-------------------------------------------------------------------------
 *
 * recognizer.h
 *	  The face recognition network: face-api's FaceRecognitionNet, i.e.
 *	  dlib's metric-learning ResNet (dlib_face_recognition_resnet_model_v1),
 *	  150x150 RGB face chip in, 128-D descriptor out.
 *
 * Descriptors are returned as the network computes them (not normalised):
 * their norm is close to 1 and dlib's "same person" threshold is a
 * Euclidean distance of 0.6.
 *
 * A recognizer owns its run-state buffers, so one instance must not run
 * two forward passes at once; a backend keeps one for its lifetime.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_RECOGNIZER_H
#define FC_RECOGNIZER_H

#include "core/fc_common.h"
#include "core/nn/weights.h"
#include "face_sizes.h"


typedef struct fc_recognizer fc_recognizer;

/*
 * Bind the network to w (face_recognition_model weights, which must
 * outlive the recognizer) and allocate every run-state buffer, about 3 MB,
 * through hooks->allocator.  hooks is copied; its interrupt callback is
 * polled before each residual block of every forward pass (~0.6 ms apart).
 * (OpenBLAS keeps its own small packing buffers, allocated once per process
 * on its first call.)  FC_ERR_MODEL if a tensor
 * is missing or mis-shaped, FC_ERR_NOMEM if allocation fails.
 */
fc_status	fc_recognizer_init(const fc_weights *w, const fc_hooks *hooks,
							   fc_recognizer **out, fc_error *err);

/* Free the recognizer and its buffers (through the allocator it was made with). */
void		fc_recognizer_free(fc_recognizer *r);

/*
 * Descriptor of one face chip.  rgb is 150*150*3 floats, NHWC, R G B in
 * 0..255 (face-api's tensor before its normalisation; the mean subtraction
 * and scaling happen here).  Writes FC_EMBEDDING_DIMS floats to
 * descriptor.  Never allocates.  FC_ERR_CANCELLED if interrupted.
 */
fc_status	fc_recognizer_forward(fc_recognizer *r, const float *rgb,
								  float *descriptor, fc_error *err);

/* Multiply-adds of one forward pass x 2 (the FLOP count benchmarks use). */
double		fc_recognizer_flops(const fc_recognizer *r);

#endif							/* FC_RECOGNIZER_H */
