/* yamlx.c: shared plumbing of the YAML readers (see yamlx.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/yamlx.h"

int sac__read_file(const char *path, size_t cap, const char *what,
		   char **buf, size_t *len, sac_err *e)
{
	*buf = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return sac_errf(e, SAC_ERR_IO, "%s: cannot open: %s", path,
				strerror(errno));
	size_t size = 1 << 16, n = 0;
	char *b = malloc(size + 1);
	while (b) {
		n += fread(b + n, 1, size - n, f);
		if (n < size || ferror(f))
			break;
		if (size >= cap)
			break;
		size_t ns = size * 2 > cap ? cap : size * 2;
		char *nb = realloc(b, ns + 1);
		if (!nb) {
			free(b);
			b = NULL;
			break;
		}
		b = nb;
		size = ns;
	}
	int rerr = ferror(f);
	/* At the cap with more to come: too large. */
	int big = b && n == size && size >= cap && fgetc(f) != EOF;
	fclose(f);
	if (!b)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	if (rerr || big) {
		free(b);
		if (rerr)
			return sac_errf(e, SAC_ERR_IO, "%s: read error", path);
		return sac_errf(e, SAC_ERR_RANGE,
				"%s: larger than %zu KiB; a %s is far smaller",
				path, cap >> 10, what);
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return SAC_OK;
}

int sac__yaml_parse(const char *text, size_t len, const char *name,
		    yaml_document_t *doc, sac_err *e)
{
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	int r = SAC_OK;
	if (!yaml_parser_load(&parser, doc))
		r = sac_errf(e, parser.error == YAML_MEMORY_ERROR ? SAC_ERR_NOMEM
								 : SAC_ERR_PARSE,
			     "%s:%lu:%lu: %s%s%s", name,
			     (unsigned long)parser.problem_mark.line + 1,
			     (unsigned long)parser.problem_mark.column + 1,
			     parser.problem ? parser.problem : "syntax error",
			     parser.context ? " " : "",
			     parser.context ? parser.context : "");
	yaml_parser_delete(&parser);
	return r;
}

const char *sac__yaml_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a sequence";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

int sac__yaml_err(sac_err *e, const char *file, const yaml_node_t *n,
		  int code, const char *fmt, ...)
{
	char msg[1500];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return sac_errf(e, code, "%s:%lu:%lu: %s", file,
			(unsigned long)n->start_mark.line + 1,
			(unsigned long)n->start_mark.column + 1, msg);
}
