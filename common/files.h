/* files.h: file-system helpers shared inside libsaccade (not exported). */
#ifndef SACCADE_FILES_H
#define SACCADE_FILES_H

#include "saccade/saccade.h"

/* Create dir and its parents (like mkdir -p); an existing directory is
 * fine, an existing non-directory is an error naming it. */
int sac__mkdir_p(const char *dir, sac_err *e);

#endif
