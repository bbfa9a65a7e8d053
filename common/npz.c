/* npz.c: .npz archives (a zip of .npy members) through libzip.
 *
 * An open archive keeps the libzip handle and a table of its members whose
 * names end in ".npy", stored without that suffix as NumPy shows them.
 * Members are decompressed whole into memory and handed to sac_npy_parse,
 * with "file.npz:member" as the name in its errors.  The writer stores
 * deflated members; libzip writes to a temporary file and renames it on
 * success, so a failed write never leaves a half-written archive.  An
 * empty archive is written by hand because libzip deletes archives that
 * end up with no members. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "saccade/npy.h"

struct sac_npz {
	zip_t *zip;
	char *path;
	int n;
	char **name;      /* without ".npy" */
	zip_uint64_t *index; /* libzip index of name[i] */
};

static char *dup_str(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static int ends_with_npy(const char *s, size_t *stem)
{
	size_t n = strlen(s);
	if (n < 4 || strcmp(s + n - 4, ".npy"))
		return 0;
	*stem = n - 4;
	return 1;
}

void sac_npz_close(sac_npz *z)
{
	if (!z)
		return;
	if (z->zip)
		zip_discard(z->zip); /* read-only: nothing to write back */
	for (int i = 0; i < z->n; i++)
		free(z->name[i]);
	free(z->name);
	free(z->index);
	free(z->path);
	free(z);
}

sac_npz *sac_npz_open(const char *path, sac_err *e)
{
	int code = 0;
	zip_t *zp = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code);
	if (!zp) {
		zip_error_t ze;
		zip_error_init_with_code(&ze, code);
		int kind = code == ZIP_ER_NOENT || code == ZIP_ER_OPEN ||
				   code == ZIP_ER_READ
			       ? SAC_ERR_IO
			       : SAC_ERR_CORRUPT;
		sac_errf(e, kind, "%s: cannot open as .npz: %s%s", path,
			 zip_error_strerror(&ze),
			 kind == SAC_ERR_CORRUPT ? " (not a zip archive, or truncated)" : "");
		zip_error_fini(&ze);
		return NULL;
	}
	sac_npz *z = calloc(1, sizeof *z);
	zip_int64_t n = zip_get_num_entries(zp, 0);
	if (!z || n < 0 || n > 1000000) {
		if (z)
			sac_errf(e, SAC_ERR_CORRUPT, "%s: bad member count", path);
		else
			sac_errf(e, SAC_ERR_NOMEM, "%s: out of memory", path);
		zip_discard(zp);
		free(z);
		return NULL;
	}
	z->zip = zp;
	z->path = dup_str(path, strlen(path));
	z->name = calloc((size_t)n + 1, sizeof *z->name);
	z->index = calloc((size_t)n + 1, sizeof *z->index);
	if (!z->path || !z->name || !z->index)
		goto nomem;
	for (zip_int64_t i = 0; i < n; i++) {
		const char *nm = zip_get_name(zp, (zip_uint64_t)i, ZIP_FL_ENC_GUESS);
		size_t stem;
		if (!nm || !ends_with_npy(nm, &stem))
			continue; /* directories and non-array members */
		if (!(z->name[z->n] = dup_str(nm, stem)))
			goto nomem;
		z->index[z->n++] = (zip_uint64_t)i;
	}
	return z;
nomem:
	sac_errf(e, SAC_ERR_NOMEM, "%s: out of memory", path);
	sac_npz_close(z);
	return NULL;
}

static int find(sac_npz *z, const char *name)
{
	for (int i = 0; i < z->n; i++)
		if (!strcmp(z->name[i], name))
			return i;
	return -1;
}

int sac_npz_has(sac_npz *z, const char *name)
{
	return find(z, name) >= 0;
}

int sac_npz_count(sac_npz *z)
{
	return z->n;
}

const char *sac_npz_name(sac_npz *z, int i)
{
	return i >= 0 && i < z->n ? z->name[i] : NULL;
}

int sac_npz_get(sac_npz *z, const char *name, sac_tensor *out, sac_err *e)
{
	memset(out, 0, sizeof *out);
	int i = find(z, name);
	if (i < 0)
		return sac_errf(e, SAC_ERR_IO, "%s: no member '%s'", z->path, name);
	char what[1024];
	snprintf(what, sizeof what, "%s:%s", z->path, name);
	zip_stat_t st;
	zip_stat_init(&st);
	if (zip_stat_index(z->zip, z->index[i], 0, &st) || !(st.valid & ZIP_STAT_SIZE))
		return sac_errf(e, SAC_ERR_CORRUPT, "%s: cannot stat member: %s",
				what, zip_strerror(z->zip));
	if (st.size > (zip_uint64_t)SIZE_MAX - 1)
		return sac_errf(e, SAC_ERR_CAPACITY, "%s: member too large", what);
	size_t len = (size_t)st.size;
	unsigned char *buf = malloc(len + 1);
	if (!buf)
		return sac_errf(e, SAC_ERR_NOMEM, "%s: out of memory (%zu bytes)", what, len);
	zip_file_t *f = zip_fopen_index(z->zip, z->index[i], 0);
	if (!f) {
		free(buf);
		return sac_errf(e, SAC_ERR_CORRUPT, "%s: cannot open member: %s",
				what, zip_strerror(z->zip));
	}
	size_t got = 0;
	int bad = 0;
	while (got < len) {
		zip_int64_t k = zip_fread(f, buf + got, len - got);
		if (k <= 0) {
			bad = 1;
			break;
		}
		got += (size_t)k;
	}
	/* Reading one byte past the end makes libzip verify the CRC. */
	unsigned char extra;
	if (!bad && zip_fread(f, &extra, 1) != 0)
		bad = 1;
	if (bad) {
		sac_errf(e, SAC_ERR_CORRUPT, "%s: corrupt or truncated member: %s",
			 what, zip_file_strerror(f));
		zip_fclose(f);
		free(buf);
		return SAC_ERR_CORRUPT;
	}
	zip_fclose(f);
	int r = sac_npy_parse(buf, len, what, out, e);
	free(buf);
	return r;
}

/* The 22-byte end-of-central-directory record of an empty zip. */
static int write_empty(const char *path, sac_err *e)
{
	static const unsigned char eocd[22] = {0x50, 0x4b, 0x05, 0x06};
	FILE *f = fopen(path, "wb");
	if (!f)
		return sac_errf(e, SAC_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
	int ok = fwrite(eocd, 1, sizeof eocd, f) == sizeof eocd;
	if (fclose(f) || !ok)
		return sac_errf(e, SAC_ERR_IO, "%s: write error", path);
	return SAC_OK;
}

int sac_npz_write(const char *path, int n, const char *const *names,
		  const sac_tensor *const *tensors, sac_err *e)
{
	if (n < 0)
		return sac_errf(e, SAC_ERR_USAGE, "%s: negative member count", path);
	for (int i = 0; i < n; i++) {
		if (!names[i] || !names[i][0] || strlen(names[i]) > 900)
			return sac_errf(e, SAC_ERR_USAGE, "%s: member %d has no valid name",
					path, i);
		for (int j = 0; j < i; j++)
			if (!strcmp(names[i], names[j]))
				return sac_errf(e, SAC_ERR_USAGE,
						"%s: duplicate member '%s'", path, names[i]);
	}
	if (n == 0)
		return write_empty(path, e);
	int code = 0;
	zip_t *zp = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &code);
	if (!zp) {
		zip_error_t ze;
		zip_error_init_with_code(&ze, code);
		sac_errf(e, SAC_ERR_IO, "%s: cannot create: %s", path,
			 zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return SAC_ERR_IO;
	}
	for (int i = 0; i < n; i++) {
		void *buf;
		size_t len;
		char member[1024];
		int r = sac_npy_encode(tensors[i], &buf, &len, e);
		if (r) {
			zip_discard(zp);
			return r;
		}
		snprintf(member, sizeof member, "%s.npy", names[i]);
		/* freep = 1: libzip frees buf when it is done with it. */
		zip_source_t *src = zip_source_buffer(zp, buf, len, 1);
		if (!src) {
			free(buf);
			goto fail;
		}
		zip_int64_t idx = zip_file_add(zp, member, src, ZIP_FL_ENC_UTF_8);
		if (idx < 0) {
			zip_source_free(src);
			goto fail;
		}
		if (zip_set_file_compression(zp, (zip_uint64_t)idx, ZIP_CM_DEFLATE, 0))
			goto fail;
	}
	if (zip_close(zp)) {
		sac_errf(e, SAC_ERR_IO, "%s: cannot write: %s", path, zip_strerror(zp));
		zip_discard(zp);
		return SAC_ERR_IO;
	}
	return SAC_OK;
fail:
	sac_errf(e, SAC_ERR_IO, "%s: %s", path, zip_strerror(zp));
	zip_discard(zp);
	return SAC_ERR_IO;
}
