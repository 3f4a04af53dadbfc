/* Per-client rate limits: a token bucket per address, in a fixed-size table (no allocation per
 * client, so a flood of addresses cannot exhaust memory; the oldest entry of a set is reused). */
#ifndef RK_RATELIMIT_H
#define RK_RATELIMIT_H

struct ratelimit;

/* per_minute tokens are added each minute, up to burst. per_minute = 0 disables the limit. */
struct ratelimit *ratelimit_new(int per_minute, int burst);
void ratelimit_free(struct ratelimit *rl);
/* Takes a token for key (an address); 0 when allowed, else the seconds to wait (>= 1). */
int ratelimit_take(struct ratelimit *rl, const char *key);
/* Whether key could take a token now, without taking one; the same return as ratelimit_take. */
int ratelimit_peek(struct ratelimit *rl, const char *key);

#endif
