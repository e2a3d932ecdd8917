/*-------------------------------------------------------------------------
 *
 * json.h
 *	  A small JSON reader for the converter: parses a whole document into a
 *	  tree.  Enough for tfjs weights manifests; not a general-purpose library
 *	  (numbers are doubles, \u escapes outside ASCII become '?').
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_JSON_H
#define FC_JSON_H

#include <stddef.h>

typedef enum json_type
{
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
} json_type;

typedef struct json_value
{
	json_type	type;
	double		number;			/* JSON_NUMBER */
	char	   *string;			/* JSON_STRING, NUL-terminated */
	int			count;			/* JSON_ARRAY, JSON_OBJECT: number of children */
	struct json_value *items;	/* JSON_ARRAY, JSON_OBJECT: the children */
	char	  **keys;			/* JSON_OBJECT: key of each child */
} json_value;

/*
 * Parse len bytes of text.  Returns a tree to free with json_free(), or NULL
 * with a message (including the byte offset) in errbuf.
 */
json_value *json_parse(const char *text, size_t len, char *errbuf, size_t errlen);
void		json_free(json_value *v);

/* The member called key of an object, or NULL (also if v is not an object). */
const json_value *json_get(const json_value *v, const char *key);

#endif							/* FC_JSON_H */
