/*-------------------------------------------------------------------------
 *
 * face_rows.h
 *	  The one reader of "(key, embedding[, ...])" query rows that every SQL
 *	  function of src/learn uses: the trainers (label, embedding), the
 *	  calibration, face_cluster (key, embedding[, label]), face_tsne (key,
 *	  embedding), face_map (key, embedding, image[, label]).
 *
 * The query is the caller's text and runs through SPI with the caller's
 * rights (our functions are SECURITY INVOKER), read-only.  Columns are taken
 * by position: column 1 of any type, converted to text by its output function
 * (a NULL there is an ERROR); column 2 face_embedding (NULL is an ERROR);
 * then the optional columns the caller asks for, in the order of the spec's
 * flags (image bytea first, then label text).  Every embedding must have the
 * same dimension, and their model tags must agree (model 0 mixes with any
 * one known model); otherwise an ERROR names the first offending key.
 *
 * The result is palloc'd in the caller's current memory context, embeddings
 * packed row-major in one float array.  The whole read is bounded by
 * spec->memory_limit_kb (callers pass maintenance_work_mem): going over it is
 * an ERROR (54000) that names the setting.  CHECK_FOR_INTERRUPTS per row.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FACE_ROWS_H
#define FACE_ROWS_H

#include "postgres.h"

typedef struct FaceRowsSpec
{
	const char *function;		/* caller's SQL name, for messages: "face_cluster" */
	bool		want_image;		/* a bytea column after the embedding (NULL -> ERROR) */
	bool		want_label;		/* a text column after that (NULL allowed) */
	bool		label_optional; /* the label column may be absent from the query */
	bool		unique_keys;	/* a duplicate key (column 1) is an ERROR */
	int			min_rows;		/* fewer rows is an ERROR (0: no minimum) */
	int			memory_limit_kb;	/* maintenance_work_mem, usually */
} FaceRowsSpec;

typedef struct FaceRows
{
	int			n;				/* rows read */
	int			dims;			/* dimension shared by every embedding (0 if n == 0) */
	int			model;			/* the known model tag shared by the rows, or 0 */
	char	  **keys;			/* n keys: column 1 as text */
	float	   *emb;			/* n * dims floats, row i at emb + i * dims */
	bytea	  **images;			/* n images, or NULL unless spec->want_image */
	char	  **labels;			/* n labels (each may be NULL), or NULL when no label column */
} FaceRows;

/*
 * Run query and read its rows as spec says.  ERRORs (with SQLSTATEs) on a
 * query that fails or returns the wrong columns (42804 datatype_mismatch, naming
 * the column's position and type), a NULL key or embedding (22004), mixed
 * dimensions or models (22000), a duplicate key (23505 when unique_keys), too
 * few rows (22023), or more memory than spec->memory_limit_kb (54000).
 * Connects and finishes SPI itself; the caller need not be connected.
 */
extern FaceRows *FaceReadRows(const char *query, const FaceRowsSpec *spec);

#endif							/* FACE_ROWS_H */
