/*-------------------------------------------------------------------------
 *
 * weights.c
 *	  Reading .fwt weights files: map read-only, validate, look tensors up.
 *
 * The file is trusted only after every check in fwt_validate() has passed:
 * a truncated, corrupted or foreign file must end in FC_ERR_MODEL with a
 * message naming the defect, never in a read outside the mapping.  Layout
 * and checksum are described in weights_format.h.
 *
 * Tensors are used in place: fc_weights_get() returns a pointer into the
 * read-only shared mapping, so every backend of a server shares one copy of
 * the pages (the mapping is MAP_SHARED of a file nobody writes).  A file
 * replaced by rename() after mapping keeps the old inode alive; a file
 * truncated in place under a running process is not something we can
 * defend against (SIGBUS), hence the converter always writes a new file and
 * renames it.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "weights.h"
#include "weights_format.h"

#ifdef MAP_POPULATE
#define FWT_MAP_POPULATE MAP_POPULATE
#else
#define FWT_MAP_POPULATE 0
#endif

typedef struct fwt_tensor
{
	const char *name;			/* points into the mapping */
	int			ndim;
	int			shape[FC_WEIGHTS_MAX_DIMS];
	size_t		count;
	const float *data;			/* points into the mapping */
} fwt_tensor;

struct fc_weights
{
	void	   *map;
	size_t		size;
	int			count;
	fwt_tensor *tensors;		/* count entries, malloc'd */
	char	   *path;			/* for error messages, malloc'd */
};

uint64_t
fwt_checksum(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t		i;

	for (i = 0; i + 8 <= len; i += 8)
	{
		uint64_t	word;

		memcpy(&word, b + i, 8);	/* the format is little-endian, like the host */
		h ^= word;
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

static uint32_t
rd32(const unsigned char *p)
{
	uint32_t	v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t
rd64(const unsigned char *p)
{
	uint64_t	v;

	memcpy(&v, p, 8);
	return v;
}

/*
 * Check the whole mapped file and fill w->tensors.  Returns FC_OK or
 * FC_ERR_MODEL/FC_ERR_NOMEM with err filled; on failure w->tensors may be
 * allocated (the caller frees it).
 */
static fc_status
fwt_validate(fc_weights *w, fc_error *err)
{
	const unsigned char *base = w->map;
	const char *path = w->path;
	uint32_t	version,
				count,
				i;
	uint64_t	names_off,
				payload_off,
				payload_size,
				sum;
	size_t		names_size;

	if (w->size < FWT_HEADER_SIZE)
		return fc_fail(err, FC_ERR_MODEL,
					   "weights file \"%s\" is truncated: %zu bytes, shorter than its %d-byte header",
					   path, w->size, FWT_HEADER_SIZE);
	if (memcmp(base, FWT_MAGIC, FWT_MAGIC_LEN) != 0)
		return fc_fail(err, FC_ERR_MODEL,
					   "\"%s\" is not a face weights file (bad magic number)", path);
	version = rd32(base + FWT_H_VERSION);
	if (version != FWT_VERSION)
		return fc_fail(err, FC_ERR_MODEL,
					   "weights file \"%s\" has format version %u, this build reads version %d",
					   path, version, FWT_VERSION);
	if (rd32(base + FWT_H_HEADER_SIZE) != FWT_HEADER_SIZE ||
		rd32(base + FWT_H_ENTRY_SIZE) != FWT_ENTRY_SIZE)
		return fc_fail(err, FC_ERR_MODEL,
					   "weights file \"%s\" has a corrupt header (header or entry size)", path);

	count = rd32(base + FWT_H_COUNT);
	names_off = rd64(base + FWT_H_NAMES_OFF);
	payload_off = rd64(base + FWT_H_PAYLOAD_OFF);
	payload_size = rd64(base + FWT_H_PAYLOAD_SIZE);
	if (count > FWT_MAX_TENSORS ||
		names_off != FWT_HEADER_SIZE + (uint64_t) count * FWT_ENTRY_SIZE ||
		payload_off < names_off || payload_off % FWT_ALIGN != 0 ||
		payload_size % FWT_ALIGN != 0 || payload_off > UINT64_MAX - payload_size)
		return fc_fail(err, FC_ERR_MODEL,
					   "weights file \"%s\" has a corrupt header (table or payload bounds)", path);
	if (payload_off + payload_size != w->size)
		return fc_fail(err, FC_ERR_MODEL,
					   "weights file \"%s\" is %s: %zu bytes, its header says %llu",
					   path, w->size < payload_off + payload_size ? "truncated" : "longer than its header says",
					   w->size, (unsigned long long) (payload_off + payload_size));

	sum = fwt_checksum(FWT_CHECKSUM_INIT, base, FWT_H_META_SUM);
	sum = fwt_checksum(sum, base + FWT_HEADER_SIZE, payload_off - FWT_HEADER_SIZE);
	if (sum != rd64(base + FWT_H_META_SUM))
		return fc_fail(err, FC_ERR_MODEL,
					   "weights file \"%s\" is corrupt: header or tensor table checksum mismatch", path);

	w->tensors = calloc(count > 0 ? count : 1, sizeof(fwt_tensor));
	if (w->tensors == NULL)
		return fc_fail(err, FC_ERR_NOMEM, "out of memory reading weights file \"%s\"", path);
	w->count = (int) count;

	names_size = payload_off - names_off;
	for (i = 0; i < count; i++)
	{
		const unsigned char *e = base + FWT_HEADER_SIZE + (size_t) i * FWT_ENTRY_SIZE;
		fwt_tensor *t = &w->tensors[i];
		uint32_t	name_off = rd32(e + FWT_E_NAME_OFF);
		uint32_t	name_len = rd32(e + FWT_E_NAME_LEN);
		uint32_t	ndim = rd32(e + FWT_E_NDIM);
		uint64_t	data_off = rd64(e + FWT_E_DATA_OFF);
		uint64_t	n = rd64(e + FWT_E_COUNT);
		uint64_t	prod = 1;
		const char *name;
		uint32_t	d,
					j;

		if (name_len == 0 || name_len > FWT_MAX_NAME ||
			(uint64_t) name_off + name_len >= names_size)
			return fc_fail(err, FC_ERR_MODEL,
						   "weights file \"%s\" is corrupt: tensor %u has its name outside the name table",
						   path, i);
		name = (const char *) base + names_off + name_off;
		if (name[name_len] != '\0' || memchr(name, '\0', name_len) != NULL)
			return fc_fail(err, FC_ERR_MODEL,
						   "weights file \"%s\" is corrupt: tensor %u has a malformed name", path, i);
		if (ndim > FC_WEIGHTS_MAX_DIMS || rd32(e + FWT_E_DTYPE) != FWT_DTYPE_FLOAT32)
			return fc_fail(err, FC_ERR_MODEL,
						   "weights file \"%s\" is corrupt: tensor \"%s\" has %u dimensions or an unknown type",
						   path, name, ndim);
		for (d = 0; d < ndim; d++)
		{
			uint32_t	dim = rd32(e + FWT_E_DIMS + 4 * d);

			/* dims are < 2^31 so the product of four cannot overflow 2^124; check as we go */
			if (dim == 0 || dim > INT32_MAX || prod > (UINT64_C(1) << 40) / dim)
				return fc_fail(err, FC_ERR_MODEL,
							   "weights file \"%s\" is corrupt: tensor \"%s\" has dimension %u of size %u",
							   path, name, d, dim);
			prod *= dim;
			t->shape[d] = (int) dim;
		}
		if (prod != n)
			return fc_fail(err, FC_ERR_MODEL,
						   "weights file \"%s\" is corrupt: tensor \"%s\" has %llu elements, its shape says %llu",
						   path, name, (unsigned long long) n, (unsigned long long) prod);
		if (data_off % FWT_ALIGN != 0 || data_off > payload_size ||
			n * sizeof(float) > payload_size - data_off)
			return fc_fail(err, FC_ERR_MODEL,
						   "weights file \"%s\" is corrupt: tensor \"%s\" lies outside the payload or is misaligned",
						   path, name);
		for (j = 0; j < i; j++)
			if (strcmp(w->tensors[j].name, name) == 0)
				return fc_fail(err, FC_ERR_MODEL,
							   "weights file \"%s\" is corrupt: tensor \"%s\" appears twice", path, name);
		t->name = name;
		t->ndim = (int) ndim;
		t->count = (size_t) n;
		t->data = (const float *) (base + payload_off + data_off);
	}

	sum = fwt_checksum(FWT_CHECKSUM_INIT, base + payload_off, payload_size);
	if (sum != rd64(base + FWT_H_PAYLOAD_SUM))
		return fc_fail(err, FC_ERR_MODEL,
					   "weights file \"%s\" is corrupt: tensor data checksum mismatch", path);
	return FC_OK;
}

fc_status
fc_weights_open(const char *path, fc_weights **out, fc_error *err)
{
	fc_weights *w;
	struct stat st;
	fc_status	status;
	int			fd;

	*out = NULL;
	if (!fwt_host_is_little_endian())
		return fc_fail(err, FC_ERR_MODEL, "weights files are little-endian and this machine is not");

	w = calloc(1, sizeof(fc_weights));
	if (w == NULL || (w->path = strdup(path)) == NULL)
	{
		free(w);
		return fc_fail(err, FC_ERR_NOMEM, "out of memory opening weights file \"%s\"", path);
	}

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
	{
		status = fc_fail(err, FC_ERR_MODEL, "could not open weights file \"%s\": %s",
						 path, strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
	{
		status = fc_fail(err, FC_ERR_MODEL, "weights file \"%s\" is not a regular file", path);
		close(fd);
		goto fail;
	}
	w->size = (size_t) st.st_size;
	if (w->size < FWT_HEADER_SIZE)
	{
		/* mmap of an empty file fails; give the same message as a short one */
		status = fc_fail(err, FC_ERR_MODEL,
						 "weights file \"%s\" is truncated: %zu bytes, shorter than its %d-byte header",
						 path, w->size, FWT_HEADER_SIZE);
		close(fd);
		goto fail;
	}
	/*
	 * Validation reads every page (checksum) and the networks use them all,
	 * so prefault the whole mapping in one call: a fault per 4 kB page costs
	 * ten times the checksum itself on the 22 MB networks.
	 */
	w->map = mmap(NULL, w->size, PROT_READ, MAP_SHARED | FWT_MAP_POPULATE, fd, 0);
	close(fd);					/* the mapping keeps the file referenced */
	if (w->map == MAP_FAILED)
	{
		w->map = NULL;
		status = fc_fail(err, FC_ERR_MODEL, "could not map weights file \"%s\": %s",
						 path, strerror(errno));
		goto fail;
	}

	status = fwt_validate(w, err);
	if (status != FC_OK)
		goto fail;
	*out = w;
	return FC_OK;

fail:
	fc_weights_close(w);
	return status;
}

void
fc_weights_close(fc_weights *w)
{
	if (w == NULL)
		return;
	if (w->map != NULL)
		munmap(w->map, w->size);
	free(w->tensors);
	free(w->path);
	free(w);
}

/* "[3,3,32]" into buf (for shape mismatch messages). */
static void
format_shape(char *buf, size_t len, int ndim, const int *shape)
{
	size_t		used = 0;
	int			d;

	used += snprintf(buf, len, "[");
	for (d = 0; d < ndim && used < len; d++)
		used += snprintf(buf + used, len - used, d == 0 ? "%d" : ",%d", shape[d]);
	if (used < len)
		snprintf(buf + used, len - used, "]");
}

const float *
fc_weights_get(const fc_weights *w, const char *name,
			   int ndim, const int *shape, fc_error *err)
{
	int			i,
				d;

	for (i = 0; i < w->count; i++)
	{
		const fwt_tensor *t = &w->tensors[i];
		int			same;

		if (strcmp(t->name, name) != 0)
			continue;
		same = (t->ndim == ndim);
		for (d = 0; same && d < ndim; d++)
			same = (t->shape[d] == shape[d]);
		if (!same)
		{
			char		have[64],
						want[64];

			format_shape(have, sizeof(have), t->ndim, t->shape);
			format_shape(want, sizeof(want), ndim, shape);
			fc_fail(err, FC_ERR_MODEL,
					"weights tensor \"%s\" in \"%s\" has shape %s, expected %s",
					name, w->path, have, want);
			return NULL;
		}
		return t->data;
	}
	fc_fail(err, FC_ERR_MODEL, "weights tensor \"%s\" not found in \"%s\"", name, w->path);
	return NULL;
}

int
fc_weights_count(const fc_weights *w)
{
	return w->count;
}

const char *
fc_weights_name(const fc_weights *w, int i)
{
	return (i >= 0 && i < w->count) ? w->tensors[i].name : NULL;
}

int
fc_weights_shape(const fc_weights *w, int i, int shape[FC_WEIGHTS_MAX_DIMS])
{
	int			d;

	if (i < 0 || i >= w->count)
		return -1;
	for (d = 0; d < FC_WEIGHTS_MAX_DIMS; d++)
		shape[d] = d < w->tensors[i].ndim ? w->tensors[i].shape[d] : 0;
	return w->tensors[i].ndim;
}
