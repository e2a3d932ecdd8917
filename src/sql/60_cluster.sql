
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
