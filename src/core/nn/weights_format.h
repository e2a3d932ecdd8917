/*-------------------------------------------------------------------------
 *
 * weights_format.h
 *	  On-disk layout of a .fwt weights file, shared by the reader
 *	  (weights.c) and the writer (weights_write.c).  Private to the core.
 *
 * A file is, in this order (all integers little-endian):
 *
 *	offset 0	header, FWT_HEADER_SIZE (64) bytes:
 *				  0  char[8]  magic "FACEWTS\0"
 *				  8  u32      format version (FWT_VERSION)
 *				 12  u32      tensor count n
 *				 16  u32      header size (64)
 *				 20  u32      table entry size (64)
 *				 24  u64      names offset   = 64 + 64*n
 *				 32  u64      payload offset (multiple of 64)
 *				 40  u64      payload size   (multiple of 64); file size is
 *							  exactly payload offset + payload size
 *				 48  u64      meta checksum: fwt_checksum over bytes [0,48)
 *							  followed by [64, payload offset)
 *				 56  u64      payload checksum: fwt_checksum over the payload
 *	offset 64	n table entries of FWT_ENTRY_SIZE (64) bytes:
 *				  0  u32      name offset, relative to the names area
 *				  4  u32      name length (bytes, without the NUL)
 *				  8  u32      ndim (0..FC_WEIGHTS_MAX_DIMS; 0 is a scalar)
 *				 12  u32      dtype (FWT_DTYPE_FLOAT32, the only one)
 *				 16  u32[4]   dims (unused ones 0)
 *				 32  u64      data offset, relative to the payload, multiple of 64
 *				 40  u64      element count = product of dims (1 for a scalar)
 *				 48  u8[16]   reserved, zero
 *	names		NUL-terminated tensor names, then zeros up to the payload
 *	payload		float32 tensors, each starting on a 64-byte boundary (so a
 *				tensor can be used in place from the mapping with aligned
 *				SIMD loads), zero padded
 *
 * Checksum: 64-bit FNV-1a taken over 64-bit little-endian words instead of
 * bytes (h ^= word; h *= FNV prime), which is eight times faster on the
 * 25 MB recognition net and still changes on any single corrupted word,
 * since each step is a bijection of h.  Every byte of the file is covered
 * by one of the two checksums or is the checksum itself.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_WEIGHTS_FORMAT_H
#define FC_WEIGHTS_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define FWT_MAGIC			"FACEWTS"	/* 7 chars + NUL = 8 bytes */
#define FWT_MAGIC_LEN		8
#define FWT_VERSION			1
#define FWT_HEADER_SIZE		64
#define FWT_ENTRY_SIZE		64
#define FWT_ALIGN			64
#define FWT_DTYPE_FLOAT32	1
#define FWT_MAX_NAME		255
#define FWT_MAX_TENSORS		100000

/* Header field offsets */
#define FWT_H_VERSION		8
#define FWT_H_COUNT			12
#define FWT_H_HEADER_SIZE	16
#define FWT_H_ENTRY_SIZE	20
#define FWT_H_NAMES_OFF		24
#define FWT_H_PAYLOAD_OFF	32
#define FWT_H_PAYLOAD_SIZE	40
#define FWT_H_META_SUM		48
#define FWT_H_PAYLOAD_SUM	56

/* Table entry field offsets */
#define FWT_E_NAME_OFF		0
#define FWT_E_NAME_LEN		4
#define FWT_E_NDIM			8
#define FWT_E_DTYPE			12
#define FWT_E_DIMS			16
#define FWT_E_DATA_OFF		32
#define FWT_E_COUNT			40

#define FWT_CHECKSUM_INIT	UINT64_C(0xcbf29ce484222325)	/* FNV-1a 64 offset basis */

/*
 * Continue checksum h over len bytes at p; len must be a multiple of 8
 * (every checksummed region of the format is).
 */
uint64_t	fwt_checksum(uint64_t h, const void *p, size_t len);

static inline size_t
fwt_align(size_t n)
{
	return (n + FWT_ALIGN - 1) & ~(size_t) (FWT_ALIGN - 1);
}

static inline int
fwt_host_is_little_endian(void)
{
	const uint16_t one = 1;

	return *(const uint8_t *) &one == 1;
}

#endif							/* FC_WEIGHTS_FORMAT_H */
