/* The statutory code lists. Their one source is geo/codelists.json: the build writes it as the
 * X-macros of lib/codelists.h in the build directory (service/lib/gen-codelists.py), migrate.sh
 * loads it into the ref tables, and tests/codelists.c compares every code and label here with it. */
#ifndef RK_CODES_H
#define RK_CODES_H

#include <stddef.h>

#include "lib/codelists.h"

/* The codes of each list in its order, NULL-terminated (for parameter and body validation). */
extern const char *const codes_route_kinds[];
extern const char *const codes_leerwegen[];
extern const char *const codes_profielen[];
extern const char *const codes_domeinen[];
extern const char *const codes_agreement_topics[];
extern const char *const codes_party_roles[];

/* Every list with its codes and labels ("" where the list has none), by its name in the source. */
struct codelist {
	const char *name;
	const char *const *codes;
	const char *const *labels;
	size_t n;
};
extern const struct codelist codelists[];
extern const size_t codelists_n;

#endif
