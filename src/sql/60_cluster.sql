
-- Discovering people (src/learn/cluster.c over src/core/learn/cluster.c, knn.c).

-- face_cluster: group the query's (key, embedding[, label]) rows into people; rows with
-- one label share a cluster, rows with different labels never do, and a cluster's label
-- is handed to its unlabelled rows.  SECURITY INVOKER: the query runs with the caller's
-- rights.  VOLATILE: it runs a query.
CREATE FUNCTION face_cluster(query text, options jsonb DEFAULT '{}')
	RETURNS TABLE(key text, cluster integer, label text)
	AS 'MODULE_PATHNAME', 'face_cluster' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION face_cluster(text, jsonb) IS
	'cluster the (key, embedding[, label]) rows of a query into people, keeping the labels';

-- Face chips (src/embed/face_chip.c): the aligned chip the recognition net sees, as a PNG.
CREATE FUNCTION face_chip(photo bytea, face integer DEFAULT NULL, size integer DEFAULT 150)
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'face_chip' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION face_chip(bytea, integer, integer) IS
	'PNG of the aligned face chip of a face of a photo (NULL: the one embed() picks)';
CREATE FUNCTION face_crop_chip(photo bytea, size integer DEFAULT 150)
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'face_crop_chip' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION face_crop_chip(bytea, integer) IS
	'PNG of a tight face crop aligned as embed_crop aligns it';
