/*-------------------------------------------------------------------------
 *
 * vote.c
 *	  The distance-weighted k-NN vote with unknown rejection (vote.h).
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "vote.h"

double
fc_vote_weight(double d, double threshold)
{
	return d < threshold ? 1.0 - d / threshold : 0.0;
}

void
fc_vote(const int *label, const double *d, int n, int nlabels,
		double threshold, double *work, int *winner, double *probability)
{
	double	   *weight = work;
	double	   *nearest = work + nlabels;
	double		total = 0.0;
	int			best = -1;

	for (int l = 0; l < nlabels; l++)
	{
		weight[l] = 0.0;
		nearest[l] = INFINITY;
	}
	for (int i = 0; i < n; i++)
	{
		double		w = fc_vote_weight(d[i], threshold);

		if (!(d[i] < threshold))
			continue;
		weight[label[i]] += w;
		total += w;
		if (d[i] < nearest[label[i]])
			nearest[label[i]] = d[i];
	}
	for (int l = 0; l < nlabels; l++)
	{
		if (nearest[l] == INFINITY)
			continue;			/* no accepted neighbour */
		if (best < 0 || weight[l] > weight[best] ||
			(weight[l] == weight[best] && nearest[l] < nearest[best]))
			best = l;
	}
	*winner = best;
	/* an accepted neighbour has w > 0, so total > 0 whenever best >= 0 */
	*probability = best < 0 ? 1.0 : weight[best] / total;
}
