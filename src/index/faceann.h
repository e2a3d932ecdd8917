/*-------------------------------------------------------------------------
 *
 * faceann.h
 *	  Private header of the faceann index access method: an IVF index with
 *	  4-bit codes of rotated residuals for the first pass and fp16 vectors for
 *	  reranking.
 *
 * On-disk layout (all pages standard, all changes through GenericXLog):
 *
 *	  block 0                  metapage: dimensions, metric, list count, seed,
 *	                           where the centroid and directory pages start
 *	  centroid pages           nlists float4[dim] centroids, packed
 *	  directory pages          per list: code chain head/insert page and
 *	                           vector chain head/insert page
 *	  code pages (per list)    packed FaceAnnCode entries: heap TID, where the
 *	                           fp16 vector lives, the 4-bit code and its grid;
 *	                           scanned in full for every probed list
 *	  vector pages (per list)  fixed slots of FaceAnnVec: heap TID and the
 *	                           fp16 vector; read only for reranked candidates
 *
 * Splitting codes from vectors keeps the first pass at 88 bytes per row
 * (92 rows per page for 128 dimensions), so a probe touches few buffers;
 * the 268-byte vectors are read for a few dozen candidates only.
 * Vector slots never move (code entries point at them); code entries do
 * (VACUUM compacts code pages).  Head pages never change after creation, so
 * a backend caches them with the centroids in rd_amcache.
 *
 * Lock order: directory page (released before page locks are taken), then a
 * vector page, then a code page; scans hold one page lock at a time and
 * VACUUM never holds a code page while locking a vector page.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FACEANN_H
#define FACEANN_H

#include "postgres.h"

#include "access/amapi.h"
#include "access/generic_xlog.h"
#include "access/reloptions.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "storage/bufmgr.h"
#include "storage/itemptr.h"
#include "utils/relcache.h"

#include "core/vec/ann.h"

#define FACEANN_MAGIC			0x46414E4E	/* "FANN" */
#define FACEANN_VERSION			2	/* 2: 4-bit codes (1 had 1-bit codes) */
#define FACEANN_METAPAGE_BLKNO	0
#define FACEANN_MAX_DIM			2000	/* a float4 centroid must fit on one page */

/* Page ids (last two bytes of the special space), one per page kind. */
#define FACEANN_PAGE_META		0xFA01
#define FACEANN_PAGE_CENTROID	0xFA02
#define FACEANN_PAGE_DIR		0xFA03
#define FACEANN_PAGE_CODE		0xFA04
#define FACEANN_PAGE_VEC		0xFA05

/* Metrics, returned by the opclass support function 1. */
#define FACEANN_METRIC_L2		1
#define FACEANN_METRIC_COSINE	2
#define FACEANN_METRIC_IP		3
#define FACEANN_SUPPORT_PROC	1
#define FACEANN_NPROCS			1

/* reloption lists: 0 = choose from the row count at build time */
#define FACEANN_DEFAULT_LISTS	0
#define FACEANN_MIN_LISTS		0
#define FACEANN_MAX_LISTS		32768

/* GUCs */
#define FACEANN_DEFAULT_PROBES	200
#define FACEANN_MIN_PROBES		1
#define FACEANN_MAX_PROBES		32768
#define FACEANN_DEFAULT_RERANK	40
#define FACEANN_MIN_RERANK		1
#define FACEANN_MAX_RERANK		100000
#define FACEANN_DEFAULT_MAX_SCAN_TUPLES	0	/* 0: no bound */
#define FACEANN_MIN_MAX_SCAN_TUPLES		0
#define FACEANN_MAX_MAX_SCAN_TUPLES		INT_MAX
/* face.ann_iterative_scan */
#define FACEANN_ITERATIVE_OFF		0	/* the first face.ann_probes lists only */
#define FACEANN_ITERATIVE_STRICT	1	/* more lists as needed, exact order */
#define FACEANN_ITERATIVE_RELAXED	2	/* more lists as needed, approximate order */
extern int	faceann_probes;
extern int	faceann_rerank;
extern int	faceann_iterative_scan;
extern int	faceann_max_scan_tuples;

/* faceann.c */
extern char *faceannphasename(int64 phasenum);

/* Progress sub-phases (pg_stat_progress_create_index.phase), see faceannphasename */
#define FACEANN_PHASE_SAMPLE	2
#define FACEANN_PHASE_KMEANS	3
#define FACEANN_PHASE_LOAD		4
#define FACEANN_PHASE_ASSIGN	5	/* parallel build: workers assign and encode */
#define FACEANN_PHASE_SORT		6	/* parallel build: the leader merges their sorts */

typedef struct FaceAnnOptions
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int			lists;
} FaceAnnOptions;

typedef struct FaceAnnPageOpaqueData
{
	BlockNumber nextblkno;		/* next page of the same chain, or InvalidBlockNumber */
	uint16		count;			/* code page: entries; vector page: used slots */
	uint16		page_id;		/* FACEANN_PAGE_* */
} FaceAnnPageOpaqueData;

typedef FaceAnnPageOpaqueData *FaceAnnPageOpaque;

#define FaceAnnPageGetOpaque(page) ((FaceAnnPageOpaque) PageGetSpecialPointer(page))
#define FaceAnnPageData(page)	((char *) PageGetContents(page))
#define FaceAnnPageAvail		(BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - MAXALIGN(sizeof(FaceAnnPageOpaqueData)))

typedef struct FaceAnnMetaPageData
{
	uint32		magic;
	uint32		version;
	int32		dim;			/* 0 until the first vector is seen */
	int32		pdim;			/* padded (rotated) dimension */
	int32		metric;			/* FACEANN_METRIC_* */
	int32		nlists;
	uint64		seed;			/* rotation seed */
	BlockNumber centroidStart;	/* first centroid page */
	BlockNumber dirStart;		/* first directory page */
	int32		nCentroidPages;
	int32		nDirPages;
} FaceAnnMetaPageData;

typedef FaceAnnMetaPageData *FaceAnnMetaPage;

#define FaceAnnPageGetMeta(page)	((FaceAnnMetaPage) PageGetContents(page))

/* One directory entry per list. */
typedef struct FaceAnnListData
{
	BlockNumber codeHead;
	BlockNumber codeInsert;		/* where inserts start looking for room */
	BlockNumber vecHead;
	BlockNumber vecInsert;
} FaceAnnListData;

#define FACEANN_LISTS_PER_PAGE	((int) (FaceAnnPageAvail / sizeof(FaceAnnListData)))

/*
 * A code entry; pdim/2 bytes of 4-bit code follow (see ann.h).  lo and delta
 * are adjacent, as fc_ann_estimate_ip_batch reads them.
 */
typedef struct FaceAnnCodeData
{
	ItemPointerData tid;		/* heap tuple */
	uint16		voff;			/* slot number on the vector page */
	BlockNumber vblk;			/* vector page */
	float4		bias;			/* L2: |u|^2 + 2<Pc, u^>; IP, cosine: 0 (see faceannscan.c) */
	float4		lo;				/* u_i ~ u^_i = lo + delta * n_i */
	float4		delta;
	uint8		nib[FLEXIBLE_ARRAY_MEMBER];
} FaceAnnCodeData;

typedef FaceAnnCodeData *FaceAnnCode;

#define FACEANN_CODE_SIZE(pdim)	MAXALIGN(offsetof(FaceAnnCodeData, nib) + (pdim) / 2)

/* A vector slot; a free slot has an invalid tid.  x ~ scale * half[i]. */
typedef struct FaceAnnVecData
{
	ItemPointerData tid;
	uint16		unused;
	float4		scale;
	uint16		half[FLEXIBLE_ARRAY_MEMBER];
} FaceAnnVecData;

typedef FaceAnnVecData *FaceAnnVec;

#define FACEANN_VEC_SIZE(dim)	MAXALIGN(offsetof(FaceAnnVecData, half) + 2 * (dim))

/*
 * What a backend keeps about an index (rd_amcache): the immutable part of
 * the metapage, the centroids and the chain heads, in one palloc chunk (the
 * arrays point into it; see FaceAnnGetCache).  Only cached once the
 * dimension is known; never changes afterwards (REINDEX makes a new
 * relfilenode and so a new relcache entry).
 */
typedef struct FaceAnnCacheData
{
	int			dim;
	int			pdim;
	int			metric;
	int			nlists;
	uint64		seed;
	BlockNumber dirStart;
	int			codeSize;
	int			vecSize;
	int			vecPerPage;
	int			codePerPage;
	float	   *centroids;		/* nlists * dim */
	float	   *cnorm2;			/* |c|^2 per list */
	float	   *rcentroids;		/* nlists * pdim: P c, or NULL if too big to keep */
	BlockNumber *codeHead;		/* per list */
	BlockNumber *vecHead;		/* per list */
} FaceAnnCacheData;

typedef FaceAnnCacheData *FaceAnnCache;

/*
 * A scan's recent-buffer hints for ReadRecentBuffer (FaceAnnReadBuffer):
 * direct-mapped by block number, fixed size (4 KB), owned by one scan.
 */
#define FACEANN_HINT_SLOTS		512

typedef struct FaceAnnHint
{
	BlockNumber blkno;
	Buffer		buf;
} FaceAnnHint;

typedef struct FaceAnnHints
{
	FaceAnnHint slot[FACEANN_HINT_SLOTS];
} FaceAnnHints;

/*
 * A vector made ready for the index: the (for cosine normalised) float copy,
 * its list, its code and its fp16 slot.  Built by FaceAnnPrepare.
 */
typedef struct FaceAnnPrepared
{
	int			list;
	FaceAnnCode code;			/* codeSize bytes; vblk/voff filled on insert */
	FaceAnnVec	vec;			/* vecSize bytes */
} FaceAnnPrepared;

/* faceann.c */
extern void FaceIndexInit(void);

/* faceannutils.c */
extern int	FaceAnnGetMetric(Relation index);
extern FaceAnnCache FaceAnnGetCache(Relation index);
extern void FaceAnnInitPage(Page page, uint16 page_id);
extern Buffer FaceAnnNewBuffer(Relation index, ForkNumber fork);
extern void FaceAnnCheckPage(Relation index, Page page, BlockNumber blkno, uint16 page_id);
extern int	FaceAnnCheckCount(Relation index, Page page, BlockNumber blkno, int max);
extern int	FaceAnnTypmodDim(Relation index);
extern int	FaceAnnCheckDim(int dim);
extern bool FaceAnnLoadVector(Relation index, FaceAnnCache cache, int metric, Datum value,
							  float *out);
extern void FaceAnnEncode(FaceAnnCache cache, const float *x, int list, FaceAnnPrepared *p);
extern int	FaceAnnNearestList(FaceAnnCache cache, const float *x);
extern void FaceAnnReadList(Relation index, FaceAnnCache cache, int list, FaceAnnListData *out);
extern void FaceAnnSetDim(Relation index, int dim);
extern float *FaceAnnDecodeVec(FaceAnnCache cache, FaceAnnVec v, float *out);
extern Buffer FaceAnnReadBuffer(Relation index, FaceAnnHints *hints, BlockNumber blkno);
extern void FaceAnnCheckMeta(Relation index, const FaceAnnMetaPageData *meta);

/* faceannbuild.c */
extern IndexBuildResult *faceannbuild(Relation heap, Relation index, IndexInfo *indexInfo);
extern void faceannbuildempty(Relation index);
extern void FaceAnnBuildPhase(int phase);

/*
 * The load scan of a build, shared by the serial build and every participant
 * of a parallel one: FaceAnnLoadCallback queues a row's vector; each full
 * batch gets its lists from one sgemm and is encoded, then handed to emit
 * (which inserts it, or feeds it to a parallel build's sort).
 */
typedef struct FaceAnnLoader FaceAnnLoader;
typedef void (*FaceAnnLoadEmit) (FaceAnnLoader *ld, FaceAnnPrepared *entries,
								 ItemPointer tids, int n);

struct FaceAnnLoader
{
	Relation	index;
	FaceAnnCache cache;
	FaceAnnLoadEmit emit;
	void	   *emitArg;
	double		ntuples;		/* rows encoded so far, including the batch being emitted */
	/* private to faceannbuild.c */
	MemoryContext cxt;			/* the buffers below */
	MemoryContext tmpCtx;		/* reset after every batch */
	int			nbatch;
	float	   *batch;
	ItemPointerData *tids;
	float	   *scratch;
	int32	   *assign;
	FaceAnnPrepared *prepared;
};

extern void FaceAnnLoaderInit(FaceAnnLoader *ld, Relation index, FaceAnnLoadEmit emit,
							  void *emitArg);
extern void FaceAnnLoadCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
								bool tupleIsAlive, void *arg);
extern void FaceAnnLoaderFinish(FaceAnnLoader *ld);

/* faceannparallel.c */
extern bool FaceAnnParallelLoad(Relation heap, Relation index, IndexInfo *indexInfo,
								double *indtuples);

/* faceanninsert.c */
extern bool faceanninsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
						  Relation heap, IndexUniqueCheck checkUnique, bool indexUnchanged,
						  struct IndexInfo *indexInfo);
extern void FaceAnnInsertPrepared(Relation index, FaceAnnCache cache, FaceAnnPrepared *p,
								  ItemPointer tid, bool building);

/* faceannscan.c */
extern IndexScanDesc faceannbeginscan(Relation index, int nkeys, int norderbys);
extern void faceannrescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys);
extern bool faceanngettuple(IndexScanDesc scan, ScanDirection dir);
extern void faceannendscan(IndexScanDesc scan);

/* faceannvacuum.c */
extern IndexBulkDeleteResult *faceannbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
												IndexBulkDeleteCallback callback, void *callback_state);
extern IndexBulkDeleteResult *faceannvacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats);

/* faceanncost.c */
extern void faceanncostestimate(PlannerInfo *root, IndexPath *path, double loop_count,
								Cost *indexStartupCost, Cost *indexTotalCost,
								Selectivity *indexSelectivity, double *indexCorrelation,
								double *indexPages);

#endif							/* FACEANN_H */
