
-- The faceann index access method: its comment named the 1-bit codes of 0.1.0's
-- development; 0.1.0 already shipped 4-bit codes.
COMMENT ON ACCESS METHOD faceann IS 'IVF index with 4-bit codes and fp16 rerank for face_embedding';

-- faceann_check takes a ShareLock on the table and reports its row counts:
-- not for PUBLIC (it also checks that the caller may read the table).
REVOKE ALL ON FUNCTION faceann_check(regclass) FROM PUBLIC;
