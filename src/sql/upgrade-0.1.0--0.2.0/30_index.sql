
-- The faceann index access method: its comment named the 1-bit codes of 0.1.0's
-- development; 0.1.0 already shipped 4-bit codes.
COMMENT ON ACCESS METHOD faceann IS 'IVF index with 4-bit codes and fp16 rerank for face_embedding';
