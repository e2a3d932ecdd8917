-- Edge cases found by review: distances of valid embeddings whose elements
-- are so large or so small that float sums overflow or underflow.  Each
-- result must be the true value (computed in double), never Infinity or
-- NaN; only a zero vector has an undefined (NaN) cosine distance.

-- L2: the squares of 6e38 overflow float4; the true distance is finite
SELECT '[3e38]'::face_embedding <-> '[-3e38]' AS l2_huge;
SELECT l2_distance('[3e38,3e38]', '[1e-38,1e-38]') AS l2_huge2;
SELECT face_embedding_l2_squared_distance('[2e19]', '[-2e19]') AS l2sq_huge;
-- squares and products of tiny elements underflow float4 to 0
SELECT '[1e-38]'::face_embedding <-> '[0]' AS l2_tiny;
SELECT inner_product('[1e-20,1e-20]', '[1e-20,1e-20]') AS ip_tiny;
SELECT '[1,2]'::face_embedding <-> '[1,2]' AS l2_same, '[1,0]'::face_embedding <#> '[0,1]' AS ip_orthogonal;
-- inner product: Inf - Inf in float would be NaN; the true value is 0
SELECT '[3e38,-3e38]'::face_embedding <#> '[3e38,3e38]' AS ip_cancel;
SELECT inner_product('[1e30,1e30]', '[1e30,1e30]') AS ip_huge;
-- L1: 3 * 3e38 overflows float4
SELECT '[3e38,3e38,3e38]'::face_embedding <+> '[0,0,0]' AS l1_huge;
-- cosine: norms that overflow or underflow float still give the true angle
SELECT '[1e20,1e20]'::face_embedding <=> '[1e20,1e20]' AS cos_same_huge;
SELECT '[1,1]'::face_embedding <=> '[1e20,1e20]' AS cos_mixed_scale;
SELECT '[1e-30,1e-30]'::face_embedding <=> '[1e-30,1e-30]' AS cos_same_tiny;
SELECT '[1e-30,-1e-30]'::face_embedding <=> '[1,1]' AS cos_orthogonal_tiny;
SELECT round(('[1e-45,0]'::face_embedding <=> '[1,1]')::numeric, 6) AS cos_subnormal;
SELECT '[3e38,3e38]'::face_embedding <=> '[-3e38,-3e38]' AS cos_opposite_huge;
-- only a zero vector has no direction
SELECT '[0,0]'::face_embedding <=> '[1e-30,1e-30]' AS cos_zero;
SELECT '[-0,0]'::face_embedding <=> '[1,1]' AS cos_negative_zero;
-- ordinary values are untouched by the fallback
SELECT '[1,2,3]'::face_embedding <-> '[1,2,5]' AS l2, '[1,0]'::face_embedding <=> '[0,1]' AS cos;
