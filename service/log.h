/* Structured logging: one JSON object per line on stderr. */
#ifndef RK_LOG_H
#define RK_LOG_H

#include <stddef.h>

void log_set_quiet(int quiet); /* 1: only errors */
void log_info(const char *msg, const char *key, const char *value);
void log_error(const char *msg, const char *detail);
void log_request(const char *method, const char *target, unsigned status, size_t bytes,
		 double duration_ms, const char *remote);

#endif
