#include "lib/codes.h"

#define CODE(code, label) code,
#define LABEL(code, label) label,

const char *const codes_route_kinds[] = {CODELIST_ROUTE_KIND(CODE) NULL};
const char *const codes_leerwegen[] = {CODELIST_LEERWEG(CODE) NULL};
const char *const codes_profielen[] = {CODELIST_PROFIEL(CODE) NULL};
const char *const codes_domeinen[] = {CODELIST_OPLEIDINGSDOMEIN(CODE) NULL};
const char *const codes_agreement_topics[] = {CODELIST_AGREEMENT_TOPIC(CODE) NULL};
const char *const codes_party_roles[] = {CODELIST_PARTY_ROLE(CODE) NULL};

static const char *const niveaus[] = {CODELIST_NIVEAU(CODE) NULL};
static const char *const region_types[] = {CODELIST_REGION_TYPE(CODE) NULL};

static const char *const route_kind_labels[] = {CODELIST_ROUTE_KIND(LABEL) NULL};
static const char *const leerweg_labels[] = {CODELIST_LEERWEG(LABEL) NULL};
static const char *const profiel_labels[] = {CODELIST_PROFIEL(LABEL) NULL};
static const char *const niveau_labels[] = {CODELIST_NIVEAU(LABEL) NULL};
static const char *const domein_labels[] = {CODELIST_OPLEIDINGSDOMEIN(LABEL) NULL};
static const char *const agreement_topic_labels[] = {CODELIST_AGREEMENT_TOPIC(LABEL) NULL};
static const char *const region_type_labels[] = {CODELIST_REGION_TYPE(LABEL) NULL};
static const char *const party_role_labels[] = {CODELIST_PARTY_ROLE(LABEL) NULL};

#define LIST(name_, codes_, labels_, n_) {.name = name_, .codes = codes_, .labels = labels_, .n = n_}

const struct codelist codelists[] = {
	LIST("route_kind", codes_route_kinds, route_kind_labels, CODELIST_ROUTE_KIND_N),
	LIST("leerweg", codes_leerwegen, leerweg_labels, CODELIST_LEERWEG_N),
	LIST("profiel", codes_profielen, profiel_labels, CODELIST_PROFIEL_N),
	LIST("niveau", niveaus, niveau_labels, CODELIST_NIVEAU_N),
	LIST("opleidingsdomein", codes_domeinen, domein_labels, CODELIST_OPLEIDINGSDOMEIN_N),
	LIST("agreement_topic", codes_agreement_topics, agreement_topic_labels, CODELIST_AGREEMENT_TOPIC_N),
	LIST("region_type", region_types, region_type_labels, CODELIST_REGION_TYPE_N),
	LIST("party_role", codes_party_roles, party_role_labels, CODELIST_PARTY_ROLE_N),
};
const size_t codelists_n = sizeof(codelists) / sizeof(codelists[0]);
