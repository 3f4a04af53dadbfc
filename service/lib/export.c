#include "lib/export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "lib/banned.h"

const json_t *export_value(const json_t *obj, const char *path)
{
	char key[64];
	const json_t *v = obj;
	while (v && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		v = json_object_get(v, key);
		path += n + (path[n] == '.');
	}
	return v;
}

static int csv_field(struct buf *b, const char *s, char sep)
{
	/* quote when the field holds the separator, a quote, a line break, or leading space */
	int quote = strchr(s, sep) || strchr(s, '"') || strchr(s, '\n') || strchr(s, '\r') || s[0] == ' ';
	if (!quote)
		return buf_puts(b, s);
	int rc = buf_append(b, "\"", 1);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			rc |= buf_append(b, "\"", 1);
		rc |= buf_append(b, p, 1);
	}
	return rc | buf_append(b, "\"", 1);
}

static void format_value(const json_t *v, char sep, char *dst, size_t n)
{
	dst[0] = '\0';
	if (json_is_integer(v)) {
		snprintf(dst, n, "%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		snprintf(dst, n, "%.4f", json_real_value(v));
		char *dot = strchr(dst, '.');
		if (dot && sep == ';')
			*dot = ',';
	} else if (json_is_string(v)) {
		snprintf(dst, n, "%s", json_string_value(v));
	} else if (json_is_boolean(v)) {
		snprintf(dst, n, "%s", json_is_true(v) ? "ja" : "nee");
	}
}

int export_csv(struct buf *out, const struct table *t, char sep)
{
	char s[2] = {sep, '\0'};
	int rc = buf_puts(out, "\xEF\xBB\xBF");
	for (size_t c = 0; c < t->ncols; c++)
		rc |= (c ? buf_puts(out, s) : 0) | csv_field(out, t->cols[c].header, sep);
	rc |= buf_puts(out, "\r\n");
	size_t i;
	const json_t *row;
	json_array_foreach(t->rows, i, row) {
		for (size_t c = 0; c < t->ncols; c++) {
			char v[1024];
			format_value(export_value(row, t->cols[c].path), sep, v, sizeof(v));
			rc |= (c ? buf_puts(out, s) : 0) | csv_field(out, v, sep);
		}
		rc |= buf_puts(out, "\r\n");
	}
	return rc ? -1 : 0;
}

static void write_table(lxw_workbook *wb, const struct table *t, lxw_format *bold)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, t->sheet);
	for (size_t c = 0; c < t->ncols; c++) {
		worksheet_write_string(ws, 0, (lxw_col_t)c, t->cols[c].header, bold);
		worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, t->cols[c].width ? t->cols[c].width : 12, NULL);
	}
	worksheet_freeze_panes(ws, 1, 0);
	size_t i;
	const json_t *row;
	json_array_foreach(t->rows, i, row) {
		for (size_t c = 0; c < t->ncols; c++) {
			const json_t *v = export_value(row, t->cols[c].path);
			lxw_row_t r = (lxw_row_t)(i + 1);
			if (json_is_number(v))
				worksheet_write_number(ws, r, (lxw_col_t)c, json_number_value(v), NULL);
			else if (json_is_string(v))
				worksheet_write_string(ws, r, (lxw_col_t)c, json_string_value(v), NULL);
			else if (json_is_boolean(v))
				worksheet_write_boolean(ws, r, (lxw_col_t)c, json_is_true(v), NULL);
		}
	}
	if (t->ncols)
		worksheet_autofilter(ws, 0, 0, (lxw_row_t)json_array_size(t->rows), (lxw_col_t)(t->ncols - 1));
}

int export_xlsx(const struct table *tables, size_t ntables, const char *title, const char *as_of,
		char **out, size_t *len)
{
	const char *dir = getenv("TMPDIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/routekaart-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	int rc = -1;
	lxw_workbook *wb = workbook_new(path);
	if (!wb)
		goto out_unlink;
	lxw_format *bold = workbook_add_format(wb);
	format_set_bold(bold);
	lxw_doc_properties props = {.title = (char *)title, .author = (char *)"routekaart"};
	workbook_set_properties(wb, &props);
	for (size_t t = 0; t < ntables; t++)
		write_table(wb, &tables[t], bold);

	lxw_worksheet *ws = workbook_add_worksheet(wb, "Toelichting");
	lxw_format *wrap = workbook_add_format(wb);
	format_set_text_wrap(wrap);
	worksheet_set_column(ws, 0, 0, 22, NULL);
	worksheet_set_column(ws, 1, 1, 28, NULL);
	worksheet_set_column(ws, 2, 2, 90, wrap);
	worksheet_write_string(ws, 0, 0, title, bold);
	worksheet_write_string(ws, 1, 0, "Peildatum", bold);
	worksheet_write_string(ws, 1, 1, as_of, NULL);
	worksheet_write_string(ws, 2, 0, "Bron", bold);
	worksheet_write_string(ws, 2, 1, "routekaart; regio's CBS 2025 (CC BY 4.0), vestigingen DUO (CC0)", NULL);
	worksheet_write_string(ws, 4, 0, "Blad", bold);
	worksheet_write_string(ws, 4, 1, "Kolom", bold);
	worksheet_write_string(ws, 4, 2, "Betekenis", bold);
	lxw_row_t r = 5;
	for (size_t t = 0; t < ntables; t++)
		for (size_t c = 0; c < tables[t].ncols; c++, r++) {
			worksheet_write_string(ws, r, 0, tables[t].sheet, NULL);
			worksheet_write_string(ws, r, 1, tables[t].cols[c].header, NULL);
			worksheet_write_string(ws, r, 2, tables[t].cols[c].meaning, NULL);
		}
	if (workbook_close(wb) != LXW_NO_ERROR)
		goto out_unlink;

	FILE *f = fopen(path, "rb");
	if (!f)
		goto out_unlink;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *data = n > 0 ? malloc((size_t)n) : NULL;
	if (data && fread(data, 1, (size_t)n, f) == (size_t)n) {
		*out = data;
		*len = (size_t)n;
		rc = 0;
	} else {
		free(data);
	}
	fclose(f);
out_unlink:
	unlink(path);
	return rc;
}
