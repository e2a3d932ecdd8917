/*-------------------------------------------------------------------------
 *
 * image_exif.c
 *	  Read the orientation tag from EXIF data.
 *
 * EXIF is a TIFF structure: a byte-order mark ("II" little-endian or "MM"
 * big-endian), the number 42, the offset of the first IFD, then IFDs of
 * 12-byte entries (tag, type, count, value-or-offset).  The orientation is
 * tag 0x0112, type SHORT, count 1, in IFD0.  Every offset comes from the
 * untrusted file, so every read is checked against the buffer length.
 *
 *-------------------------------------------------------------------------
 */
#include "image_int.h"

#define TIFF_TAG_ORIENTATION	0x0112
#define TIFF_TYPE_SHORT			3

static unsigned
rd16(const uint8_t *p, int le)
{
	return le ? (unsigned) (p[0] | (p[1] << 8)) : (unsigned) ((p[0] << 8) | p[1]);
}

static uint32_t
rd32(const uint8_t *p, int le)
{
	return le ? ((uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24))
		: (((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | (uint32_t) p[3]);
}

int
fc_exif_orientation(const uint8_t *tiff, size_t len)
{
	int			le;
	uint32_t	ifd;
	unsigned	count;

	if (tiff == NULL || len < 8)
		return 1;
	if (tiff[0] == 'I' && tiff[1] == 'I')
		le = 1;
	else if (tiff[0] == 'M' && tiff[1] == 'M')
		le = 0;
	else
		return 1;
	if (rd16(tiff + 2, le) != 42)
		return 1;

	ifd = rd32(tiff + 4, le);
	if (ifd < 8 || ifd > len - 2)
		return 1;
	count = rd16(tiff + ifd, le);
	for (unsigned i = 0; i < count; i++)
	{
		size_t		e = (size_t) ifd + 2 + (size_t) i * 12;

		if (e + 12 > len)
			return 1;			/* truncated directory */
		if (rd16(tiff + e, le) == TIFF_TAG_ORIENTATION)
		{
			unsigned	v;

			if (rd16(tiff + e + 2, le) != TIFF_TYPE_SHORT || rd32(tiff + e + 4, le) != 1)
				return 1;
			/* a single SHORT sits left-justified in the 4-byte value field */
			v = rd16(tiff + e + 8, le);
			return (v >= 1 && v <= 8) ? (int) v : 1;
		}
	}
	return 1;
}
