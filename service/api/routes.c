/* The route table: every (method, path) the service answers and its handler. A test compares it
 * with openapi.yaml, so the two cannot drift apart. */
#include "api/routes.h"

#include "api/handlers.h"
#include "http/web.h"
#include "lib/banned.h"

static const struct route routes[] = {
	{"GET", "/", landing_get, 0, 0},
	{"GET", "/aanmelden", form_page_get, 0, 1},
	{"GET", "/assets/{asset}", asset_get, 0, 1},
	{"GET", "/api", api_get, 0, 0},
	{"GET", "/conformance", conformance_get, 0, 0},
	{"GET", "/collections", collections_get, 0, 0},
	{"GET", "/collections/{collectionId}", collection_get, 0, 0},
	{"GET", "/collections/{collectionId}/items", items_get, 0, 0},
	{"GET", "/collections/{collectionId}/items/{featureId}", item_get, 0, 0},
	{"GET", "/collections/{collectionId}/clusters", clusters_get, 0, 0},
	{"GET", "/collections/{collectionId}/tiles", tilejson_get, 0, 0},
	{"GET", "/collections/{collectionId}/tiles/{z}/{x}/{y}", tile_get, 0, 0},
	{"GET", "/codelists", codelists_get, 0, 0},
	{"GET", "/healthz", healthz_get, 0, 0},
	{"GET", "/readyz", readyz_get, 0, 0},
	{"GET", "/metrics", metrics_get, 0, 0},
	{"POST", "/submissions", submissions_post, 1, 0},
	{"GET", "/submissions/{submissionId}", submission_get, 0, 0},
	{"PATCH", "/submissions/{submissionId}", submission_patch, 1, 0},
	{"DELETE", "/submissions/{submissionId}", submission_delete, 0, 0},
	{"DELETE", "/submissions/{submissionId}/contacts/{contactId}", submission_contact_delete, 0, 0},
	{"GET", "/admin/submissions", admin_submissions_get, 0, 0},
	{"GET", "/admin/submissions/{submissionId}", admin_submission_get, 0, 0},
	{"PATCH", "/admin/submissions/{submissionId}", admin_submission_patch, 1, 0},
	{"POST", "/admin/submissions/{submissionId}/approve", admin_submission_action, 0, 0},
	{"POST", "/admin/submissions/{submissionId}/reject", admin_submission_action, 1, 0},
	{"POST", "/admin/submissions/{submissionId}/withdraw", admin_submission_action, 1, 0},
	{"DELETE", "/admin/contacts/{contactId}", admin_contact_delete, 0, 0},
	{"GET", "/admin/schools/{vestigingscode}/contact", admin_school_contact, 0, 0},
	{"PUT", "/admin/schools/{vestigingscode}/contact", admin_school_contact, 1, 0},
	{"DELETE", "/admin/schools/{vestigingscode}/contact", admin_school_contact, 0, 0},
	{"GET", "/admin/audit", admin_audit_get, 0, 0},
	/* the literal "coverage" comes before the {code} it would also match */
	{"GET", "/overviews/{regionType}", overviews_get, 0, 0},
	{"GET", "/overviews/{regionType}/coverage", coverage_get, 0, 0},
	{"GET", "/overviews/{regionType}/{code}", overview_region_get, 0, 0},
	{"GET", "/overviews/{regionType}/{code}/contacts", region_contacts_get, 0, 0},
};

const struct route *api_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
