/*-------------------------------------------------------------------------
 *
 * cluster.c
 *	  Chinese whispers and DBSCAN-style clustering with must-link and
 *	  cannot-link constraints from labels (contract in cluster.h).
 *
 * Both methods start from the graph's undirected edge list (each pair once,
 * i < j, with its distance); chinese whispers contracts it into a weighted
 * CSR graph over "nodes" (one per label, one per unlabelled row), DBSCAN
 * uses it directly with a union-find over rows.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "rng.h"

#define CLUSTER_POLL_EVERY	4096	/* nodes or edges between interrupt polls */

typedef struct cl_edge
{
	int32_t		a;				/* a < b */
	int32_t		b;
	float		d;				/* L2 distance */
} cl_edge;

typedef struct cl_ctx
{
	const fc_allocator *a;
	const fc_hooks *hooks;
	fc_error   *err;
} cl_ctx;

static void *
cl_alloc(cl_ctx *c, size_t size)
{
	return c->a->alloc(c->a->ctx, size ? size : 1);
}

static void
cl_free(cl_ctx *c, void *p)
{
	if (p)
		c->a->free(c->a->ctx, p);
}

static int
cl_cancelled(cl_ctx *c)
{
	return c->hooks && c->hooks->interrupted && c->hooks->interrupted(c->hooks->interrupt_ctx);
}

static int
cl_edge_by_pair(const void *x, const void *y)
{
	const cl_edge *e = x,
			   *f = y;

	if (e->a != f->a)
		return e->a < f->a ? -1 : 1;
	if (e->b != f->b)
		return e->b < f->b ? -1 : 1;
	return 0;
}

static int
cl_edge_by_distance(const void *x, const void *y)
{
	const cl_edge *e = x,
			   *f = y;

	if (e->d != f->d)
		return e->d < f->d ? -1 : 1;
	return cl_edge_by_pair(x, y);
}

/* the graph's undirected edges, each pair once with a < b, sorted by pair */
static fc_status
cl_edges_fill(cl_ctx *c, const fc_knn_graph *g, cl_edge **out, int64_t *nedges)
{
	size_t		slots = (size_t) g->n * g->k;
	cl_edge    *e = cl_alloc(c, sizeof(cl_edge) * (slots ? slots : 1));
	int64_t		m = 0,
				u = 0;

	if (!e)
		return fc_fail(c->err, FC_ERR_NOMEM, "out of memory for the clustering's edges");
	for (int i = 0; i < g->n; i++)
		for (int s = 0; s < g->k; s++)
		{
			int32_t		j = g->nbr[(size_t) i * g->k + s];

			if (j < 0)
				break;
			if (j == i)
				continue;
			e[m].a = i < j ? i : j;
			e[m].b = i < j ? j : i;
			e[m].d = g->dist[(size_t) i * g->k + s];
			m++;
		}
	qsort(e, m, sizeof(cl_edge), cl_edge_by_pair);
	for (int64_t i = 0; i < m; i++)
		if (u == 0 || e[i].a != e[u - 1].a || e[i].b != e[u - 1].b)
			e[u++] = e[i];
	*out = e;
	*nedges = u;
	return FC_OK;
}

/* union-find over rows with path halving */
static int32_t
cl_find(int32_t *parent, int32_t x)
{
	while (parent[x] != x)
	{
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

/*
 * Chinese whispers on the contracted graph.  raw[i] receives row i's
 * cluster as a node id in [0, nnodes).
 */
static fc_status
cl_whispers(cl_ctx *c, const fc_knn_graph *g, const cl_edge *e, int64_t ne,
			const int32_t *label, int nlabels, const fc_cluster_params *p, int32_t *raw)
{
	int			n = g->n;
	int32_t    *node = cl_alloc(c, sizeof(int32_t) * n);
	int			nnodes = nlabels;
	int64_t    *start = NULL;
	int32_t    *adj = NULL,
			   *lab = NULL,
			   *order = NULL,
			   *touched = NULL;
	float	   *w = NULL,
			   *acc = NULL;
	fc_rng		rng;
	fc_status	st = FC_OK;

	if (!node)
		return fc_fail(c->err, FC_ERR_NOMEM, "out of memory for chinese whispers");
	for (int i = 0; i < n; i++)
		node[i] = label[i] >= 0 ? label[i] : nnodes++;

	start = cl_alloc(c, sizeof(int64_t) * (nnodes + 1));
	adj = cl_alloc(c, sizeof(int32_t) * 2 * ne);
	w = cl_alloc(c, sizeof(float) * 2 * ne);
	lab = cl_alloc(c, sizeof(int32_t) * nnodes);
	order = cl_alloc(c, sizeof(int32_t) * nnodes);
	touched = cl_alloc(c, sizeof(int32_t) * nnodes);
	acc = cl_alloc(c, sizeof(float) * nnodes);
	if (!start || !adj || !w || !lab || !order || !touched || !acc)
	{
		st = fc_fail(c->err, FC_ERR_NOMEM, "out of memory for chinese whispers");
		goto done;
	}

	/*
	 * CSR of the contracted graph, both directions; parallel entries (two
	 * rows of one label next to the same node) stay separate and simply add
	 * up when a node sums its neighbours' weights.
	 */
	memset(start, 0, sizeof(int64_t) * (nnodes + 1));
	for (int64_t i = 0; i < ne; i++)
	{
		int32_t		x = node[e[i].a],
					y = node[e[i].b];

		if (x == y)
			continue;
		start[x + 1]++;
		start[y + 1]++;
	}
	for (int v = 0; v < nnodes; v++)
		start[v + 1] += start[v];
	{
		int64_t    *fill = (int64_t *) cl_alloc(c, sizeof(int64_t) * (nnodes ? nnodes : 1));

		if (!fill)
		{
			st = fc_fail(c->err, FC_ERR_NOMEM, "out of memory for chinese whispers");
			goto done;
		}
		memcpy(fill, start, sizeof(int64_t) * nnodes);
		for (int64_t i = 0; i < ne; i++)
		{
			int32_t		x = node[e[i].a],
						y = node[e[i].b];

			if (x == y)
				continue;
			adj[fill[x]] = y;
			w[fill[x]++] = 1.0f;
			adj[fill[y]] = x;
			w[fill[y]++] = 1.0f;
		}
		cl_free(c, fill);
	}

	fc_rng_seed(&rng, p->seed);
	for (int v = 0; v < nnodes; v++)
	{
		lab[v] = v;
		order[v] = v;
		acc[v] = 0;
	}
	for (int it = 0; it < p->iterations; it++)
	{
		int64_t		changes = 0;

		/* a fresh seeded random order each pass */
		fc_rng_shuffle_int(&rng, order, nnodes);
		for (int o = 0; o < nnodes; o++)
		{
			int32_t		v = order[o];
			int			nt = 0;
			int32_t		best = -1;
			float		bestw = 0;

			if (o % CLUSTER_POLL_EVERY == 0 && cl_cancelled(c))
			{
				st = fc_fail(c->err, FC_ERR_CANCELLED, "clustering cancelled");
				goto done;
			}
			/* a label's node keeps its own cluster: that is what keeps labels apart */
			if (v < nlabels || start[v] == start[v + 1])
				continue;
			for (int64_t s = start[v]; s < start[v + 1]; s++)
			{
				int32_t		l = lab[adj[s]];

				if (acc[l] == 0)
					touched[nt++] = l;
				acc[l] += w[s];
			}
			for (int t = 0; t < nt; t++)
			{
				int32_t		l = touched[t];

				/* ties to the smallest cluster id: deterministic */
				if (acc[l] > bestw || (acc[l] == bestw && l < best))
				{
					best = l;
					bestw = acc[l];
				}
				acc[l] = 0;
			}
			if (best != lab[v])
			{
				lab[v] = best;
				changes++;
			}
		}
		if (changes == 0)
			break;
	}
	for (int i = 0; i < n; i++)
		raw[i] = lab[node[i]];

done:
	cl_free(c, node);
	cl_free(c, start);
	cl_free(c, adj);
	cl_free(c, w);
	cl_free(c, lab);
	cl_free(c, order);
	cl_free(c, touched);
	cl_free(c, acc);
	return st;
}

/*
 * DBSCAN-style: raw[i] receives row i's component root, or -1 for noise.
 * Sorts e by distance in place.
 */
static fc_status
cl_dbscan(cl_ctx *c, const fc_knn_graph *g, cl_edge *e, int64_t ne,
		  const int32_t *label, int nlabels, const fc_cluster_params *p, int32_t *raw)
{
	int			n = g->n;
	int32_t    *parent = cl_alloc(c, sizeof(int32_t) * n);
	int32_t    *deg = cl_alloc(c, sizeof(int32_t) * n);
	int32_t    *clabel = cl_alloc(c, sizeof(int32_t) * n);
	int32_t    *first = cl_alloc(c, sizeof(int32_t) * (nlabels ? nlabels : 1));
	fc_status	st = FC_OK;

	if (!parent || !deg || !clabel || !first)
	{
		st = fc_fail(c->err, FC_ERR_NOMEM, "out of memory for DBSCAN");
		goto done;
	}
	for (int i = 0; i < n; i++)
	{
		parent[i] = i;
		deg[i] = 0;
		clabel[i] = label[i];
	}
	for (int l = 0; l < nlabels; l++)
		first[l] = -1;
	for (int64_t i = 0; i < ne; i++)
	{
		deg[e[i].a]++;
		deg[e[i].b]++;
	}
	/* must-link: each label's rows start as one component */
	for (int i = 0; i < n; i++)
		if (label[i] >= 0)
		{
			if (first[label[i]] < 0)
				first[label[i]] = i;
			else
				parent[i] = first[label[i]];
		}

#define IS_CORE(i) (label[i] >= 0 || deg[i] + 1 >= p->min_faces)
	qsort(e, ne, sizeof(cl_edge), cl_edge_by_distance);
	for (int64_t i = 0; i < ne; i++)
	{
		int32_t		x,
					y;

		if (i % CLUSTER_POLL_EVERY == 0 && cl_cancelled(c))
		{
			st = fc_fail(c->err, FC_ERR_CANCELLED, "clustering cancelled");
			goto done;
		}
		if (!IS_CORE(e[i].a) || !IS_CORE(e[i].b))
			continue;
		x = cl_find(parent, e[i].a);
		y = cl_find(parent, e[i].b);
		if (x == y)
			continue;
		/* cannot-link: two differently labelled components stay apart */
		if (clabel[x] >= 0 && clabel[y] >= 0 && clabel[x] != clabel[y])
			continue;
		if (y < x)
		{
			int32_t		t = x;

			x = y;
			y = t;
		}
		parent[y] = x;
		if (clabel[x] < 0)
			clabel[x] = clabel[y];
	}
	for (int i = 0; i < n; i++)
		raw[i] = IS_CORE(i) ? cl_find(parent, i) : -1;
	/* border rows: the cluster of the nearest core neighbour (edges are by distance) */
	for (int64_t i = 0; i < ne; i++)
	{
		int32_t		a = e[i].a,
					b = e[i].b;

		if (!IS_CORE(a) && IS_CORE(b) && raw[a] < 0)
			raw[a] = cl_find(parent, b);
		else if (!IS_CORE(b) && IS_CORE(a) && raw[b] < 0)
			raw[b] = cl_find(parent, a);
	}
#undef IS_CORE

done:
	cl_free(c, parent);
	cl_free(c, deg);
	cl_free(c, clabel);
	cl_free(c, first);
	return st;
}

/* one raw cluster while numbering */
typedef struct cl_group
{
	int32_t		raw;
	int32_t		size;
	int32_t		label;
	int32_t		minkey;			/* row with the smallest key */
} cl_group;

static const char *const *cl_sort_keys;

static int
cl_group_order(const void *x, const void *y)
{
	const cl_group *g = x,
			   *h = y;

	if (g->size != h->size)
		return g->size > h->size ? -1 : 1;
	return strcmp(cl_sort_keys[g->minkey], cl_sort_keys[h->minkey]);
}

/* number raw clusters (ids in [0, n + nlabels), -1 noise) 1.. by size, then key */
static fc_status
cl_number(cl_ctx *c, int n, int nraw, const int32_t *raw, const char *const *keys,
		  const int32_t *label, int min_faces, int32_t *cluster, int32_t *cluster_label,
		  int *nclusters)
{
	int32_t    *slot = cl_alloc(c, sizeof(int32_t) * nraw);
	cl_group   *grp = cl_alloc(c, sizeof(cl_group) * (n ? n : 1));
	int			ng = 0,
				num = 0;

	if (!slot || !grp)
	{
		cl_free(c, slot);
		cl_free(c, grp);
		return fc_fail(c->err, FC_ERR_NOMEM, "out of memory numbering clusters");
	}
	for (int r = 0; r < nraw; r++)
		slot[r] = -1;
	for (int i = 0; i < n; i++)
	{
		cl_group   *gp;

		if (raw[i] < 0)
			continue;
		if (slot[raw[i]] < 0)
		{
			slot[raw[i]] = ng;
			grp[ng].raw = raw[i];
			grp[ng].size = 0;
			grp[ng].label = -1;
			grp[ng].minkey = i;
			ng++;
		}
		gp = &grp[slot[raw[i]]];
		gp->size++;
		if (label[i] >= 0)
			gp->label = label[i];
		if (strcmp(keys[i], keys[gp->minkey]) < 0)
			gp->minkey = i;
	}
	cl_sort_keys = keys;
	qsort(grp, ng, sizeof(cl_group), cl_group_order);
	for (int s = 0; s < ng; s++)
	{
		/* too small and unnamed: noise */
		if (grp[s].size < min_faces && grp[s].label < 0)
			slot[grp[s].raw] = -1;
		else
			slot[grp[s].raw] = s;
	}
	for (int s = 0; s < ng; s++)
		grp[s].size = (grp[s].size < min_faces && grp[s].label < 0) ? 0 : ++num;
	for (int i = 0; i < n; i++)
	{
		int32_t		s = raw[i] < 0 ? -1 : slot[raw[i]];

		cluster[i] = s < 0 ? 0 : grp[s].size;
		cluster_label[i] = s < 0 ? -1 : grp[s].label;
	}
	*nclusters = num;
	cl_free(c, slot);
	cl_free(c, grp);
	return FC_OK;
}

size_t
fc_cluster_memory(int64_t n, int k)
{
	size_t		slots = (size_t) n * k;

	/* edges 12 B a slot, CSR both ways 16 B, per row/node arrays ~40 B */
	return slots * (sizeof(cl_edge) + 2 * (sizeof(int32_t) + sizeof(float))) +
		(size_t) n * 64;
}

fc_status
fc_cluster(const fc_knn_graph *g, const char *const *keys, const int32_t *label,
		   int nlabels, const fc_cluster_params *p, const fc_hooks *hooks,
		   int32_t *cluster, int32_t *cluster_label, int *nclusters, fc_error *err)
{
	cl_ctx		c;
	cl_edge    *e = NULL;
	int64_t		ne = 0;
	int32_t    *raw;
	fc_status	st;

	c.a = hooks && hooks->allocator ? hooks->allocator : &fc_malloc_allocator;
	c.hooks = hooks;
	c.err = err;
	*nclusters = 0;
	if (p->min_faces < 1 || p->iterations < 1 || nlabels < 0)
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT,
					   "clustering needs min_faces >= 1, iterations >= 1 and nlabels >= 0");
	for (int i = 0; i < g->n; i++)
		if (label[i] < -1 || label[i] >= nlabels)
			return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "label id %d of row %d is out of range",
						   label[i], i);
	if (g->n == 0)
		return FC_OK;
	raw = cl_alloc(&c, sizeof(int32_t) * g->n);
	if (!raw)
		return fc_fail(err, FC_ERR_NOMEM, "out of memory for clustering");
	st = cl_edges_fill(&c, g, &e, &ne);
	if (st == FC_OK)
	{
		if (p->method == FC_CLUSTER_DBSCAN)
			st = cl_dbscan(&c, g, e, ne, label, nlabels, p, raw);
		else
			st = cl_whispers(&c, g, e, ne, label, nlabels, p, raw);
	}
	if (st == FC_OK)
		st = cl_number(&c, g->n, g->n + nlabels, raw, keys, label, p->min_faces,
					   cluster, cluster_label, nclusters);
	cl_free(&c, e);
	cl_free(&c, raw);
	return st;
}
