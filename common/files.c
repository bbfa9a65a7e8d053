/* files.c: file-system helpers shared by the generators that write
 * directories of files (the zoo). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/files.h"

int sac__mkdir_p(const char *dir, sac_err *e)
{
	char buf[4096];
	if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
		return sac_errf(e, SAC_ERR_IO, "%s: path too long", dir);
	for (char *q = buf + 1;; q++) {
		int end = *q == 0;
		if (*q == '/' || end) {
			*q = 0;
			if (mkdir(buf, 0777) && errno != EEXIST)
				return sac_errf(e, SAC_ERR_IO, "%s: cannot create "
						"directory: %s", buf, strerror(errno));
			if (end)
				break;
			*q = '/';
		}
	}
	struct stat st;
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return sac_errf(e, SAC_ERR_IO, "%s: not a directory", dir);
	return SAC_OK;
}
