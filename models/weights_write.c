/*-------------------------------------------------------------------------
 *
 * weights_write.c
 *	  Building and writing .fwt weights files (layout in weights_format.h).
 *
 * The whole file is assembled in memory (the largest network is 25 MB),
 * checksummed, and written in one go to a temporary file that is renamed
 * over the target.  Not used by the backend; it lives in the core so the
 * converter and the tests share one implementation of the format.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/nn/weights_format.h"
#include "weights_write.h"

static void
wr32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void
wr64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* Element count of t, or 0 if its shape is invalid. */
static size_t
tensor_count(const fc_wtensor *t)
{
	size_t		n = 1;
	int			d;

	if (t->ndim < 0 || t->ndim > FC_WEIGHTS_MAX_DIMS)
		return 0;
	for (d = 0; d < t->ndim; d++)
	{
		if (t->shape[d] <= 0 || n > ((size_t) 1 << 40) / (size_t) t->shape[d])
			return 0;
		n *= (size_t) t->shape[d];
	}
	return n;
}

fc_status
fc_weights_image(const fc_wtensor *tensors, int n,
				 unsigned char **image, size_t *size, fc_error *err)
{
	size_t		names_size = 0,
				payload_size = 0,
				names_off,
				payload_off,
				name_pos,
				data_pos;
	unsigned char *buf;
	uint64_t	sum;
	int			i,
				j;

	*image = NULL;
	*size = 0;
	if (!fwt_host_is_little_endian())
		return fc_fail(err, FC_ERR_INTERNAL, "weights files are little-endian and this machine is not");
	if (n < 0 || n > FWT_MAX_TENSORS)
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "cannot write %d tensors", n);

	for (i = 0; i < n; i++)
	{
		const fc_wtensor *t = &tensors[i];
		size_t		len = t->name ? strlen(t->name) : 0;
		size_t		count = tensor_count(t);

		if (len == 0 || len > FWT_MAX_NAME)
			return fc_fail(err, FC_ERR_INVALID_ARGUMENT,
						   "tensor %d: name is empty or longer than %d bytes", i, FWT_MAX_NAME);
		if (count == 0)
			return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "tensor \"%s\": invalid shape", t->name);
		if (t->data == NULL)
			return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "tensor \"%s\": no data", t->name);
		for (j = 0; j < i; j++)
			if (strcmp(tensors[j].name, t->name) == 0)
				return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "tensor \"%s\" appears twice", t->name);
		names_size += len + 1;
		payload_size += fwt_align(count * sizeof(float));
	}

	names_off = FWT_HEADER_SIZE + (size_t) n * FWT_ENTRY_SIZE;
	payload_off = fwt_align(names_off + names_size);
	buf = calloc(1, payload_off + payload_size);
	if (buf == NULL)
		return fc_fail(err, FC_ERR_NOMEM, "out of memory building a %zu-byte weights file",
					   payload_off + payload_size);

	memcpy(buf, FWT_MAGIC, FWT_MAGIC_LEN);
	wr32(buf + FWT_H_VERSION, FWT_VERSION);
	wr32(buf + FWT_H_COUNT, (uint32_t) n);
	wr32(buf + FWT_H_HEADER_SIZE, FWT_HEADER_SIZE);
	wr32(buf + FWT_H_ENTRY_SIZE, FWT_ENTRY_SIZE);
	wr64(buf + FWT_H_NAMES_OFF, names_off);
	wr64(buf + FWT_H_PAYLOAD_OFF, payload_off);
	wr64(buf + FWT_H_PAYLOAD_SIZE, payload_size);

	name_pos = 0;
	data_pos = 0;
	for (i = 0; i < n; i++)
	{
		const fc_wtensor *t = &tensors[i];
		unsigned char *e = buf + FWT_HEADER_SIZE + (size_t) i * FWT_ENTRY_SIZE;
		size_t		len = strlen(t->name);
		size_t		count = tensor_count(t);
		int			d;

		wr32(e + FWT_E_NAME_OFF, (uint32_t) name_pos);
		wr32(e + FWT_E_NAME_LEN, (uint32_t) len);
		wr32(e + FWT_E_NDIM, (uint32_t) t->ndim);
		wr32(e + FWT_E_DTYPE, FWT_DTYPE_FLOAT32);
		for (d = 0; d < t->ndim; d++)
			wr32(e + FWT_E_DIMS + 4 * d, (uint32_t) t->shape[d]);
		wr64(e + FWT_E_DATA_OFF, data_pos);
		wr64(e + FWT_E_COUNT, count);

		memcpy(buf + names_off + name_pos, t->name, len + 1);
		memcpy(buf + payload_off + data_pos, t->data, count * sizeof(float));
		name_pos += len + 1;
		data_pos += fwt_align(count * sizeof(float));
	}

	wr64(buf + FWT_H_PAYLOAD_SUM,
		 fwt_checksum(FWT_CHECKSUM_INIT, buf + payload_off, payload_size));
	sum = fwt_checksum(FWT_CHECKSUM_INIT, buf, FWT_H_META_SUM);
	sum = fwt_checksum(sum, buf + FWT_HEADER_SIZE, payload_off - FWT_HEADER_SIZE);
	wr64(buf + FWT_H_META_SUM, sum);

	*image = buf;
	*size = payload_off + payload_size;
	return FC_OK;
}

fc_status
fc_weights_write(const char *path, const fc_wtensor *tensors, int n, fc_error *err)
{
	unsigned char *image;
	size_t		size;
	char	   *tmp;
	FILE	   *f;
	fc_status	status;
	int			ok;

	status = fc_weights_image(tensors, n, &image, &size, err);
	if (status != FC_OK)
		return status;

	tmp = malloc(strlen(path) + 32);
	if (tmp == NULL)
	{
		free(image);
		return fc_fail(err, FC_ERR_NOMEM, "out of memory");
	}
	sprintf(tmp, "%s.tmp.%ld", path, (long) getpid());

	f = fopen(tmp, "wb");
	if (f == NULL)
	{
		status = fc_fail(err, FC_ERR_INTERNAL, "could not create \"%s\": %s", tmp, strerror(errno));
		goto done;
	}
	ok = fwrite(image, 1, size, f) == size;
	ok = (fflush(f) == 0) && ok;
	ok = (fsync(fileno(f)) == 0) && ok;
	ok = (fclose(f) == 0) && ok;
	if (!ok)
	{
		status = fc_fail(err, FC_ERR_INTERNAL, "could not write \"%s\": %s", tmp, strerror(errno));
		unlink(tmp);
		goto done;
	}
	if (rename(tmp, path) != 0)
	{
		status = fc_fail(err, FC_ERR_INTERNAL, "could not rename \"%s\" to \"%s\": %s",
						 tmp, path, strerror(errno));
		unlink(tmp);
		goto done;
	}
	status = FC_OK;

done:
	free(tmp);
	free(image);
	return status;
}
