/* The statutory code lists, as the database seeds them (a test compares the two). */
#ifndef RK_CODES_H
#define RK_CODES_H

extern const char *const codes_route_kinds[];
extern const char *const codes_leerwegen[];
extern const char *const codes_profielen[];
extern const char *const codes_domeinen[];
extern const char *const codes_agreement_topics[];
extern const char *const codes_party_roles[];

#endif
