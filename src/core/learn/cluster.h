/*-------------------------------------------------------------------------
 *
 * cluster.h
 *	  Grouping faces into people over a radius-bounded neighbour graph
 *	  (knn.h), keeping the user's corrections.  Plain C, no PostgreSQL
 *	  headers.
 *
 * Methods:
 *	- chinese whispers (Biemann 2006, as dlib's chinese_whispers): every
 *	  node starts as its own cluster; in seeded random order each node takes
 *	  the cluster with the largest total edge weight among its neighbours,
 *	  until a pass changes nothing or `iterations` passes are done;
 *	- DBSCAN-style core points (Ester et al. 1996): a row with at least
 *	  min_faces rows (itself included) within the radius is a core point;
 *	  core points joined by an edge share a cluster, a non-core row joins the
 *	  cluster of its nearest core neighbour, a row with none is noise.
 *
 * Constraints from labels (label[i] >= 0): rows with the same label always
 * end in one cluster (must-link) and rows with different labels never do
 * (cannot-link); a labelled row is never noise, and a cluster holding
 * labelled rows hands its label to every member.  Chinese whispers runs on
 * the graph with each label's rows contracted into one node whose cluster
 * is fixed; DBSCAN makes every labelled row a core point, starts from the
 * label groups already joined, and joins components in increasing edge
 * distance, refusing a join of two differently labelled components.
 *
 * Output numbering: clusters 1, 2, ... by decreasing size, ties by the
 * smallest key (strcmp) among their rows; noise is 0.  A cluster smaller
 * than min_faces without a label is noise.  Deterministic for a seed.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_CLUSTER_H
#define FC_CLUSTER_H

#include <stdint.h>

#include "core/fc_common.h"
#include "knn.h"

typedef enum fc_cluster_method
{
	FC_CLUSTER_WHISPERS,		/* chinese whispers */
	FC_CLUSTER_DBSCAN			/* core points with min_faces */
} fc_cluster_method;

typedef struct fc_cluster_params
{
	fc_cluster_method method;
	int			min_faces;		/* >= 1: DBSCAN core size; smaller unlabelled clusters are noise */
	int			iterations;		/* chinese whispers passes, >= 1 */
	uint64_t	seed;			/* chinese whispers visiting order */
} fc_cluster_params;

/*
 * Cluster the n = g->n rows of g.  keys[n] order ties; label[n] is -1 or a
 * label id in [0, nlabels).  Writes cluster[n] (1.. or 0 for noise) and
 * cluster_label[n] (the label the row's cluster carries, or -1); *nclusters
 * receives the number of clusters.  Scratch from hooks->allocator, about
 * 40 bytes per edge slot (fc_cluster_memory).  Polls hooks->interrupted.
 */
extern fc_status fc_cluster(const fc_knn_graph *g, const char *const *keys,
							const int32_t *label, int nlabels,
							const fc_cluster_params *p, const fc_hooks *hooks,
							int32_t *cluster, int32_t *cluster_label, int *nclusters,
							fc_error *err);

/* Bytes fc_cluster allocates for a graph of n rows with k slots each. */
extern size_t fc_cluster_memory(int64_t n, int k);

#endif							/* FC_CLUSTER_H */
