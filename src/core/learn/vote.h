/*-------------------------------------------------------------------------
 *
 * vote.h
 *	  Distance-weighted k-nearest-neighbour vote with unknown rejection
 *	  (Dudani 1976's idea of weights falling with distance, cut at a
 *	  verification threshold), for the face_vote aggregate.
 *
 * Neighbour i votes for its label with weight w_i = 1 - d_i / threshold
 * when d_i < threshold (1 at distance 0, 0 at the threshold) and not at all
 * otherwise: a neighbour beyond the threshold is not the same person, but
 * it is no evidence for anybody.  The label with the largest total weight
 * wins (ties: the one with the nearest neighbour, then the lower label
 * index) with probability its share of the total weight.  When no
 * neighbour is within the threshold the face is unknown: winner -1 and
 * probability 1 (every neighbour says "not me").
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_LEARN_VOTE_H
#define FC_LEARN_VOTE_H

/* The weight of one neighbour: max(0, 1 - d / threshold); threshold > 0. */
extern double fc_vote_weight(double d, double threshold);

/*
 * The vote over n neighbours with labels label[i] in 0..nlabels-1 and
 * distances d[i]; sets *winner (-1: unknown) and *probability.  Needs
 * nlabels * 2 doubles of scratch in work.
 */
extern void fc_vote(const int *label, const double *d, int n, int nlabels,
					double threshold, double *work, int *winner, double *probability);

#endif							/* FC_LEARN_VOTE_H */
