#include "lib/codes.h"

#include <stddef.h>

const char *const codes_route_kinds[] = {"doorlopende_leerroute", "geintegreerde_route", "leerlab", "samenwerking", NULL};
const char *const codes_leerwegen[] = {"BB", "KB", "GL", "TL", NULL};
const char *const codes_profielen[] = {"BWI", "PIE", "MT", "MVI", "MAT", "ZW", "EO", "HBR", "GR", "DP", NULL};
const char *const codes_domeinen[] = {"a", "b", "c", "d", "e", "f", "g", "h",
				      "i", "j", "k", "l", "m", "n", "o", "p", NULL};
const char *const codes_agreement_topics[] = {"profiel_domein", "dagelijkse_leiding", "inrichting", "overstapoptie",
					      "bedrijfsleven", "geschilbeslechting", "toetreding_opzegging",
					      "medezeggenschap", "overdracht_bekostiging", NULL};
const char *const codes_party_roles[] = {"vo", "mbo", "bedrijf", "overig", NULL};
