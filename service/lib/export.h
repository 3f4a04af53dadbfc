/* Tables out of JSON: CSV (RFC 4180, UTF-8 with BOM, comma or semicolon) and XLSX workbooks
 * (libxlsxwriter), for the analysts' exports. */
#ifndef RK_EXPORT_H
#define RK_EXPORT_H

#include <jansson.h>
#include <stddef.h>

#include "lib/buf.h"

/* A column of a table: where its value is in a row object ("by_niveau.3" for nested members),
 * its header, and what it means (for the explanation sheet). */
struct column {
	const char *path;
	const char *header;
	const char *meaning;
	int width; /* XLSX column width in characters */
};

struct table {
	const char *sheet; /* XLSX sheet name */
	const struct column *cols;
	size_t ncols;
	const json_t *rows; /* array of objects (borrowed) */
};

/* The value at a dotted path in obj (borrowed), or NULL. */
const json_t *export_value(const json_t *obj, const char *path);

/* Appends the table as CSV: BOM, header, CRLF line ends. With sep ';' decimal numbers use a
 * decimal comma, as Dutch spreadsheets expect. */
int export_csv(struct buf *out, const struct table *t, char sep);

/* Writes the tables to an XLSX workbook, one sheet each (bold frozen header, numbers as numbers,
 * widths set), and a last sheet "Toelichting" that explains every column and gives the date the
 * figures are from. The workbook's bytes are returned in *out (malloc'd). */
int export_xlsx(const struct table *tables, size_t ntables, const char *title, const char *as_of,
		char **out, size_t *len);

#endif
