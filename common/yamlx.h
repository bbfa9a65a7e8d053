/* yamlx.h: what every YAML reader of the library shares (model.yaml,
 * target.yaml): reading a file whole with a size cap, parsing it into a
 * libyaml document with the syntax error located, and located messages
 * "file:line:col: message" for a node.  Private to libsaccade. */
#ifndef SACCADE_YAMLX_H
#define SACCADE_YAMLX_H

#include <yaml.h>
#include "saccade/saccade.h"

/* Read path into a malloc'ed, NUL-terminated buffer of at most cap bytes;
 * `what` names the kind of file in the too-large message. */
int sac__read_file(const char *path, size_t cap, const char *what,
		   char **buf, size_t *len, sac_err *e);
/* Parse text into doc; a syntax error is "name:line:col: problem context". */
int sac__yaml_parse(const char *text, size_t len, const char *name,
		    yaml_document_t *doc, sac_err *e);
/* "a scalar", "a sequence", "a mapping". */
const char *sac__yaml_kind(const yaml_node_t *n);
/* Set e to "file:line:col: <fmt>" at node n; returns code. */
int sac__yaml_err(sac_err *e, const char *file, const yaml_node_t *n,
		  int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 5, 6)))
#endif
	;

#endif
