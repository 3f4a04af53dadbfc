/* openapi.yaml, embedded at build time (see gen-openapi.py). */
#ifndef RK_OPENAPI_DOC_H
#define RK_OPENAPI_DOC_H

#include <stddef.h>

extern const char openapi_json[];
extern const size_t openapi_json_len;
extern const char openapi_yaml[];
extern const size_t openapi_yaml_len;

#endif
