/*-------------------------------------------------------------------------
 *
 * face_model_options.c
 *	  The options jsonb of every trainer (face_model.h): each trainer lists
 *	  its options with types, bounds and defaults; anything else is an ERROR
 *	  that names the valid ones.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "face_model.h"

static const char *
type_name(FaceOptionType type)
{
	switch (type)
	{
		case FACE_OPTION_INT:
			return "an integer";
		case FACE_OPTION_FLOAT:
			return "a number";
		case FACE_OPTION_TEXT:
			return "a string";
	}
	return "?";
}

static void
unknown_option(const char *function, const char *key, const FaceOption *spec, int n)
{
	StringInfoData valid;

	initStringInfo(&valid);
	for (int i = 0; i < n; i++)
		appendStringInfo(&valid, "%s%s", i ? ", " : "", spec[i].name);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: unknown option \"%s\"", function, key),
			 errhint("Valid options are: %s.", valid.data)));
}

void
FaceOptionsParse(Jsonb *options, FaceOption *spec, int n, const char *function)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	for (int i = 0; i < n; i++)
		spec[i].set = false;
	if (options == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: options must be a JSON object", function)));

	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;
		FaceOption *o = NULL;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		for (int i = 0; i < n; i++)
			if (strcmp(spec[i].name, key) == 0)
				o = &spec[i];
		if (!o)
			unknown_option(function, key, spec, n);
		tok = JsonbIteratorNext(&it, &v, true);
		Assert(tok == WJB_VALUE);
		if (o->type == FACE_OPTION_TEXT)
		{
			if (v.type != jbvString)
				goto wrong_type;
			o->sval = pnstrdup(v.val.string.val, v.val.string.len);
		}
		else
		{
			double		x;

			if (v.type != jbvNumeric)
				goto wrong_type;
			x = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v.val.numeric)));
			if (o->type == FACE_OPTION_INT && x != floor(x))
				goto wrong_type;
			if (!(x >= o->min && x <= o->max))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: option \"%s\" must be between %g and %g, not %g",
								function, key, o->min, o->max, x)));
			o->fval = x;
		}
		o->set = true;
		continue;
wrong_type:
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: option \"%s\" must be %s", function, key, type_name(o->type))));
	}
}
