/*-------------------------------------------------------------------------
 *
 * distance.c
 *	  Distance kernels: scalar references and run-time dispatch.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "distance.h"

float
face_l2_squared_scalar(const float *a, const float *b, int n)
{
	float		s = 0;

	for (int i = 0; i < n; i++)
	{
		float		d = a[i] - b[i];

		s += d * d;
	}
	return s;
}

float
face_inner_product_scalar(const float *a, const float *b, int n)
{
	float		s = 0;

	for (int i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

float
face_l1_distance_scalar(const float *a, const float *b, int n)
{
	float		s = 0;

	for (int i = 0; i < n; i++)
		s += fabsf(a[i] - b[i]);
	return s;
}

float		(*face_l2_squared) (const float *a, const float *b, int n) = face_l2_squared_scalar;
float		(*face_inner_product) (const float *a, const float *b, int n) = face_inner_product_scalar;
float		(*face_l1_distance) (const float *a, const float *b, int n) = face_l1_distance_scalar;

double
face_cosine_distance(const float *a, const float *b, int n)
{
	double		ab = face_inner_product(a, b, n);
	double		aa = face_inner_product(a, a, n);
	double		bb = face_inner_product(b, b, n);

	return 1.0 - ab / sqrt(aa * bb);
}

void
face_distance_init(void)
{
}

const char *
face_distance_isa(void)
{
	return "scalar";
}
