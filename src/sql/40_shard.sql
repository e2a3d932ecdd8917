-- 40_shard.sql: nearest-neighbour search over a table whose partitions live on other
-- PostgreSQL nodes (postgres_fdw foreign tables); README "Scale out with postgres_fdw".
--
-- Why a function: on PostgreSQL 15 the plain query on the partitioned table,
--   SELECT id FROM faces ORDER BY emb <-> $1 LIMIT k,
-- pushes the ORDER BY to every shard but not the LIMIT (the planner never pushes a
-- LIMIT below an Append/MergeAppend to foreign scans), and merges the shards with a
-- MergeAppend, which reads them one after the other (only an unordered Append runs
-- foreign scans asynchronously).  This function builds, for the leaf partitions of
-- the table, one "ORDER BY distance LIMIT k" subquery each, which postgres_fdw ships
-- whole (so every shard's faceann index answers its own top k), runs them under a
-- MATERIALIZED CTE (a plain Append: with async_capable servers the shards search
-- concurrently) and merges the N x k candidates on the coordinator.  Exact merge:
-- the global top k is among the union of the shards' top k.
--
-- The distance column is computed on the coordinator from the k embeddings each shard
-- returns (postgres_fdw ships only columns of a base-table scan, never expressions of
-- its target list); the values travel in text form with all digits (postgres_fdw sets
-- extra_float_digits), so the distance equals the shard's bit for bit, but model tags
-- do not travel (README).  Search settings reach the shards through each server's
-- libpq "options" (e.g. '-c face.ann_probes=400').
--
-- Works for any number of partitions, local or foreign, and for an unpartitioned
-- table (its own single leaf).  k is capped at FACE_SHARD_MAX_K rows per shard.
CREATE FUNCTION face_shard_search(parent regclass, query face_embedding, k integer,
	key_column name DEFAULT 'id', embedding_column name DEFAULT 'emb',
	distance_operator text DEFAULT '<->')
	RETURNS TABLE (shard regclass, id bigint, distance float8)
	LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
	SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	max_k CONSTANT integer := 100000;	-- FACE_SHARD_MAX_K: rows asked of each shard
	op text;
	subqueries text;
BEGIN
	IF k < 1 OR k > max_k THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('k must be between 1 and %s, not %s', max_k, k);
	END IF;
	IF distance_operator NOT IN ('<->', '<=>', '<#>', '<+>') THEN
		RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('unknown face_embedding distance operator "%s"', distance_operator),
			HINT = 'Use <->, <=>, <#> or <+>.';
	END IF;
	-- the operator by its schema: the extension is relocatable, the caller's
	-- search_path is not ours, and postgres_fdw ships it schema-qualified anyway
	SELECT format('OPERATOR(%I.%s)', n.nspname, distance_operator) INTO op
	  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
	 WHERE e.extname = 'face';

	SELECT string_agg(format(
			'(SELECT %s::regclass, %I::bigint, %I %s $1 FROM %s ORDER BY 3 LIMIT $2)',
			quote_literal(leaf::regclass::text), key_column, embedding_column, op,
			leaf::regclass),
			' UNION ALL ' ORDER BY leaf)
	  INTO subqueries
	  FROM (SELECT t.relid FROM pg_partition_tree(parent) t WHERE t.isleaf
	        UNION ALL		-- a table that is not partitioned is its own one leaf
	        SELECT c.oid FROM pg_class c WHERE c.oid = parent AND c.relkind <> 'p') leaves(leaf);
	IF subqueries IS NULL THEN
		RETURN;		-- a partitioned table without partitions holds no rows
	END IF;

	-- ties broken by shard and key, so that the answer does not depend on which
	-- shard answered first
	RETURN QUERY EXECUTE
		'WITH candidates AS MATERIALIZED (' || subqueries || ') '
		'SELECT * FROM candidates c ORDER BY 3, 1, 2 LIMIT $2'
		USING query, k;
END
$fn$;
COMMENT ON FUNCTION face_shard_search(regclass, face_embedding, integer, name, name, text) IS
	'top k rows of a (partitioned, possibly foreign) table by distance to query: each partition answers its own ORDER BY ... LIMIT k, concurrently on async_capable servers, merged here';
