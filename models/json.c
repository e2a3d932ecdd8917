/*-------------------------------------------------------------------------
 *
 * json.c
 *	  A small recursive-descent JSON reader (RFC 8259) for tfjs manifests.
 *
 * Children of arrays and objects are stored in one growing array per
 * container; the whole tree is freed with json_free().  Nesting is limited
 * to JSON_MAX_DEPTH so a hostile file cannot exhaust the stack.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define JSON_MAX_DEPTH 64

typedef struct parser
{
	const char *s;
	size_t		len;
	size_t		pos;
	char	   *err;
	size_t		errlen;
	int			failed;
} parser;

static int	parse_value(parser *p, json_value *v, int depth);

static int
fail(parser *p, const char *fmt,...)
{
	va_list		ap;
	int			n;

	if (p->failed)
		return 0;
	p->failed = 1;
	n = snprintf(p->err, p->errlen, "byte %zu: ", p->pos);
	if (n >= 0 && (size_t) n < p->errlen)
	{
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
		va_end(ap);
	}
	return 0;
}

static void
skip_ws(parser *p)
{
	while (p->pos < p->len &&
		   (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
			p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int
literal(parser *p, const char *word)
{
	size_t		n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, "unexpected character '%c'", p->s[p->pos]);
	p->pos += n;
	return 1;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse a string at p->pos (which is '"') into a malloc'd C string. */
static char *
parse_string(parser *p)
{
	char	   *out;
	size_t		n = 0;

	p->pos++;					/* opening quote */
	/* the decoded string is never longer than the rest of the input */
	out = malloc(p->len - p->pos + 1);
	if (out == NULL)
	{
		fail(p, "out of memory");
		return NULL;
	}
	while (p->pos < p->len)
	{
		char		c = p->s[p->pos++];

		if (c == '"')
		{
			out[n] = '\0';
			return out;
		}
		if ((unsigned char) c < 0x20)
		{
			p->pos--;
			fail(p, "control character in string");
			break;
		}
		if (c != '\\')
		{
			out[n++] = c;
			continue;
		}
		if (p->pos >= p->len)
			break;
		c = p->s[p->pos++];
		switch (c)
		{
			case '"':
			case '\\':
			case '/':
				out[n++] = c;
				break;
			case 'b':
				out[n++] = '\b';
				break;
			case 'f':
				out[n++] = '\f';
				break;
			case 'n':
				out[n++] = '\n';
				break;
			case 'r':
				out[n++] = '\r';
				break;
			case 't':
				out[n++] = '\t';
				break;
			case 'u':
				{
					int			code = 0,
								i;

					for (i = 0; i < 4; i++)
					{
						int			h = p->pos < p->len ? hexval(p->s[p->pos]) : -1;

						if (h < 0)
						{
							fail(p, "bad \\u escape");
							free(out);
							return NULL;
						}
						code = code * 16 + h;
						p->pos++;
					}
					/* tensor names are ASCII; anything else is kept visible but not decoded */
					out[n++] = (code > 0 && code < 0x80) ? (char) code : '?';
					break;
				}
			default:
				p->pos--;
				fail(p, "bad escape '\\%c'", c);
				free(out);
				return NULL;
		}
	}
	fail(p, "unterminated string");
	free(out);
	return NULL;
}

static int
parse_number(parser *p, json_value *v)
{
	size_t		start = p->pos;
	char		buf[64];
	char	   *end;

	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
	{
		p->pos = start;
		return fail(p, "unexpected character '%c'", p->s[start]);
	}
	while (p->pos < p->len && strchr("0123456789+-.eE", p->s[p->pos]) != NULL)
		p->pos++;
	if (p->pos - start >= sizeof(buf))
		return fail(p, "number too long");
	memcpy(buf, p->s + start, p->pos - start);
	buf[p->pos - start] = '\0';
	v->type = JSON_NUMBER;
	v->number = strtod(buf, &end);
	if (*end != '\0')
	{
		p->pos = start;
		return fail(p, "bad number \"%s\"", buf);
	}
	return 1;
}

/* Append an empty child to container v (and a key slot for objects). */
static json_value *
add_child(parser *p, json_value *v, int *cap, char *key)
{
	if (v->count == *cap)
	{
		int			ncap = *cap ? *cap * 2 : 8;
		json_value *items = realloc(v->items, ncap * sizeof(json_value));

		if (items == NULL)
			return fail(p, "out of memory"), NULL;
		v->items = items;
		if (v->type == JSON_OBJECT)
		{
			char	  **keys = realloc(v->keys, ncap * sizeof(char *));

			if (keys == NULL)
				return fail(p, "out of memory"), NULL;
			v->keys = keys;
		}
		*cap = ncap;
	}
	memset(&v->items[v->count], 0, sizeof(json_value));
	if (v->type == JSON_OBJECT)
		v->keys[v->count] = key;
	return &v->items[v->count++];
}

static int
parse_container(parser *p, json_value *v, int depth, int is_object)
{
	char		close = is_object ? '}' : ']';
	int			cap = 0;

	v->type = is_object ? JSON_OBJECT : JSON_ARRAY;
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close)
	{
		p->pos++;
		return 1;
	}
	for (;;)
	{
		char	   *key = NULL;
		json_value *child;

		skip_ws(p);
		if (is_object)
		{
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, "expected a member name");
			if ((key = parse_string(p)) == NULL)
				return 0;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
			{
				free(key);
				return fail(p, "expected ':'");
			}
			p->pos++;
		}
		if ((child = add_child(p, v, &cap, key)) == NULL)
		{
			free(key);
			return 0;
		}
		if (!parse_value(p, child, depth + 1))
			return 0;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',')
		{
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close)
		{
			p->pos++;
			return 1;
		}
		return fail(p, "expected ',' or '%c'", close);
	}
}

static int
parse_value(parser *p, json_value *v, int depth)
{
	if (depth > JSON_MAX_DEPTH)
		return fail(p, "nesting deeper than %d", JSON_MAX_DEPTH);
	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, "unexpected end of input");
	switch (p->s[p->pos])
	{
		case '{':
			return parse_container(p, v, depth, 1);
		case '[':
			return parse_container(p, v, depth, 0);
		case '"':
			v->type = JSON_STRING;
			return (v->string = parse_string(p)) != NULL;
		case 't':
			v->type = JSON_TRUE;
			return literal(p, "true");
		case 'f':
			v->type = JSON_FALSE;
			return literal(p, "false");
		case 'n':
			v->type = JSON_NULL;
			return literal(p, "null");
		default:
			return parse_number(p, v);
	}
}

static void
free_contents(json_value *v)
{
	int			i;

	for (i = 0; i < v->count; i++)
	{
		free_contents(&v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->string);
}

json_value *
json_parse(const char *text, size_t len, char *errbuf, size_t errlen)
{
	parser		p = {text, len, 0, errbuf, errlen, 0};
	json_value *root = calloc(1, sizeof(json_value));

	if (root == NULL)
	{
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	if (parse_value(&p, root, 0))
	{
		skip_ws(&p);
		if (p.pos == p.len)
			return root;
		fail(&p, "trailing characters after the document");
	}
	json_free(root);
	return NULL;
}

void
json_free(json_value *v)
{
	if (v == NULL)
		return;
	free_contents(v);
	free(v);
}

const json_value *
json_get(const json_value *v, const char *key)
{
	int			i;

	if (v == NULL || v->type != JSON_OBJECT)
		return NULL;
	for (i = 0; i < v->count; i++)
		if (strcmp(v->keys[i], key) == 0)
			return &v->items[i];
	return NULL;
}
