/* Unit tests of the code lists: the C tables (lib/codes.h, generated from geo/codelists.json) hold
 * every code and label of the source, in its order, and nothing else. The database and /codelists
 * are compared with the same source by sql/tests/codelists.sql and tests/integration.c. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/codes.h"

static json_t *load_source(void)
{
	const char *top = getenv("RK_TOP");
	char path[4096];
	snprintf(path, sizeof(path), "%s/geo/codelists.json", top ? top : ".");
	json_error_t err;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	ck_assert_msg(doc != NULL, "%s:%d: %s", path, err.line, err.text);
	return doc;
}

/* the code of a row of the source: "code", the niveau as text, or a region's "type" */
static void code_of(const json_t *row, char *out, size_t cap)
{
	const json_t *v = json_object_get(row, "code");
	if (!v)
		v = json_object_get(row, "type");
	if (json_is_integer(json_object_get(row, "niveau")))
		snprintf(out, cap, "%lld", (long long)json_integer_value(json_object_get(row, "niveau")));
	else
		snprintf(out, cap, "%s", json_is_string(v) ? json_string_value(v) : "");
}

static const struct codelist *c_list(const char *name)
{
	for (size_t i = 0; i < codelists_n; i++)
		if (strcmp(codelists[i].name, name) == 0)
			return &codelists[i];
	return NULL;
}

START_TEST(c_tables_equal_source)
{
	json_t *src = load_source();
	const char *name;
	json_t *rows;
	json_object_foreach(src, name, rows) {
		const struct codelist *l = c_list(name);
		ck_assert_msg(l != NULL, "the list %s of the source is not in the C tables", name);
		size_t i;
		json_t *row;
		json_array_foreach(rows, i, row) {
			char code[64];
			code_of(row, code, sizeof(code));
			const char *label = json_string_value(json_object_get(row, "label"));
			ck_assert_msg(i < l->n && l->codes[i], "%s: the C table lacks %s", name, code);
			ck_assert_msg(strcmp(l->codes[i], code) == 0, "%s[%zu]: C has code %s, the source %s", name, i,
				      l->codes[i], code);
			ck_assert_msg(strcmp(l->labels[i], label ? label : "") == 0, "%s %s: C has label \"%s\", the source \"%s\"",
				      name, code, l->labels[i], label ? label : "");
		}
		ck_assert_msg(l->n == json_array_size(rows) && l->codes[l->n] == NULL && l->labels[l->n] == NULL,
			      "%s: the C table has codes the source has not", name);
	}
	for (size_t i = 0; i < codelists_n; i++)
		ck_assert_msg(json_object_get(src, codelists[i].name), "the C list %s is not in the source",
			      codelists[i].name);
	json_decref(src);
}
END_TEST

/* The tables the validation uses are those of the list. */
START_TEST(validation_uses_the_lists)
{
	ck_assert_ptr_eq(c_list("route_kind")->codes, codes_route_kinds);
	ck_assert_ptr_eq(c_list("leerweg")->codes, codes_leerwegen);
	ck_assert_ptr_eq(c_list("profiel")->codes, codes_profielen);
	ck_assert_ptr_eq(c_list("opleidingsdomein")->codes, codes_domeinen);
	ck_assert_ptr_eq(c_list("agreement_topic")->codes, codes_agreement_topics);
	ck_assert_ptr_eq(c_list("party_role")->codes, codes_party_roles);
}
END_TEST

/* The source's order is its sort order: the database sorts by `sort`, the C by position. */
START_TEST(source_in_sort_order)
{
	json_t *src = load_source();
	const char *name;
	json_t *rows;
	json_object_foreach(src, name, rows) {
		size_t i;
		json_t *row;
		json_int_t last = 0;
		json_array_foreach(rows, i, row) {
			json_t *sort = json_object_get(row, "sort");
			if (!sort)
				continue;
			ck_assert_msg(json_integer_value(sort) > last, "%s: sort %lld after %lld", name,
				      (long long)json_integer_value(sort), (long long)last);
			last = json_integer_value(sort);
		}
	}
	json_decref(src);
}
END_TEST

static Suite *codelists_suite(void)
{
	Suite *s = suite_create("codelists");
	TCase *t = tcase_create("source");
	tcase_add_test(t, c_tables_equal_source);
	tcase_add_test(t, validation_uses_the_lists);
	tcase_add_test(t, source_in_sort_order);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return run_suite(codelists_suite());
}
