/* Does crypto_equal take the same time wherever two secrets differ? A statistical timing check
 * in the manner of dudect (Reparaz, Balasch, Verbauwhede, "Dude, is my code constant time?",
 * 2017): two classes of inputs, measured interleaved in random order, compared with Welch's
 * t-test. Class 0 differs from the secret in its first byte, class 1 only in its last: a
 * comparison that stops at the first difference is faster for class 0.
 *
 * The same measurement of memcmp (which stops at the first difference) is the control: if the
 * test does not see memcmp's leak on this machine, it cannot be trusted to see one in
 * crypto_equal, and the run fails.
 *
 *   build/bench-constant-time [MEASUREMENTS] [BYTES]     (bench/constant-time.sh builds and runs it)
 *
 * Prints one markdown row per function and exits 0 when crypto_equal shows no difference
 * (|t| < 4.5 in every crop) and memcmp does; 1 otherwise. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/crypto.h"

#define BATCH 8          /* comparisons per timed sample: above the clock's resolution */
#define T_THRESHOLD 4.5  /* dudect's bound: above it, the classes differ */
#define CROPS 5          /* the t-test on all samples and below 4 percentiles, as dudect does */

typedef int (*compare_fn)(const uint8_t *a, const uint8_t *b, size_t n);

static int compare_memcmp(const uint8_t *a, const uint8_t *b, size_t n)
{
	return memcmp(a, b, n) == 0;
}

/* called through a volatile pointer, so neither is inlined into the loop or folded away */
static volatile compare_fn functions[2] = {crypto_equal, compare_memcmp};
static const char *const names[2] = {"crypto_equal (nettle memeql_sec)", "memcmp (control: stops at the first difference)"};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Welch's t of two running samples (mean and M2 by Welford's method) */
struct stat_acc {
	double n[2], mean[2], m2[2];
};

static void acc_add(struct stat_acc *s, int cls, double x)
{
	s->n[cls]++;
	double d = x - s->mean[cls];
	s->mean[cls] += d / s->n[cls];
	s->m2[cls] += d * (x - s->mean[cls]);
}

static double acc_t(const struct stat_acc *s)
{
	if (s->n[0] < 2 || s->n[1] < 2)
		return 0;
	double v0 = s->m2[0] / (s->n[0] - 1), v1 = s->m2[1] / (s->n[1] - 1);
	double se = sqrt(v0 / s->n[0] + v1 / s->n[1]);
	return se > 0 ? (s->mean[0] - s->mean[1]) / se : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Measures one function; returns the largest |t| over the crops and the means of the classes. */
static double measure(compare_fn f, size_t measurements, size_t bytes, double *mean0, double *mean1)
{
	/* one input buffer for both classes, prepared before each sample: two buffers could differ
	 * in alignment or cache state, which the test would take for the data's doing */
	uint8_t *secret = malloc(bytes), *in = malloc(bytes);
	double *times = malloc(measurements * sizeof(double));
	unsigned char *cls = malloc(measurements);
	if (!secret || !in || !times || !cls) {
		fprintf(stderr, "constant-time: out of memory\n");
		exit(2);
	}
	if (crypto_random(secret, bytes) < 0 || crypto_random(cls, measurements) < 0) {
		fprintf(stderr, "constant-time: no random bytes\n");
		exit(2);
	}
	memcpy(in, secret, bytes);
	volatile int sink = 0;
	for (size_t i = 0; i < measurements; i++) {
		int c = cls[i] & 1;
		cls[i] = (unsigned char)c;
		/* class 0 differs at once, class 1 only at the end; both classes make the same two
		 * stores, so that only the values differ (a store just before a load of the same bytes
		 * costs time of its own) */
		in[0] = (uint8_t)(secret[0] ^ (c == 0));
		in[bytes - 1] = (uint8_t)(secret[bytes - 1] ^ (c == 1));
		uint64_t t0 = now_ns();
		for (int k = 0; k < BATCH; k++)
			sink += f(secret, in, bytes);
		times[i] = (double)(now_ns() - t0);
	}
	(void)sink;
	/* the crops: all samples, then those below the 50th, 75th, 90th and 99th percentile, which
	 * leave out what interrupts and the other core's work added */
	double *sorted = malloc(measurements * sizeof(double));
	memcpy(sorted, times, measurements * sizeof(double));
	qsort(sorted, measurements, sizeof(double), cmp_double);
	static const double pct[CROPS] = {1.0, 0.50, 0.75, 0.90, 0.99};
	double worst = 0;
	for (int p = 0; p < CROPS; p++) {
		double limit = pct[p] >= 1.0 ? INFINITY : sorted[(size_t)(pct[p] * (double)(measurements - 1))];
		struct stat_acc s = {0};
		for (size_t i = 0; i < measurements; i++)
			if (times[i] <= limit)
				acc_add(&s, cls[i], times[i] / BATCH);
		double t = fabs(acc_t(&s));
		if (t > worst)
			worst = t;
		if (p == 3) {
			*mean0 = s.mean[0];
			*mean1 = s.mean[1];
		}
	}
	free(sorted);
	free(secret);
	free(in);
	free(times);
	free(cls);
	return worst;
}

int main(int argc, char **argv)
{
	size_t measurements = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	size_t bytes = argc > 2 ? strtoul(argv[2], NULL, 10) : 1024;
	if (measurements < 1000 || bytes < 2) {
		fprintf(stderr, "usage: %s [MEASUREMENTS >= 1000] [BYTES >= 2]\n", argv[0]);
		return 2;
	}
	double t[2], m0[2], m1[2];
	for (int i = 0; i < 2; i++)
		t[i] = measure(functions[i], measurements, bytes, &m0[i], &m1[i]);
	printf("%zu measurements of %d comparisons of %zu bytes per function; class 0 differs in the first byte, "
	       "class 1 in the last; means below the 90th percentile\n\n",
	       measurements, BATCH, bytes);
	printf("| function | ns, first byte differs | ns, last byte differs | ratio | max abs(t) | verdict |\n");
	printf("|---|---:|---:|---:|---:|---|\n");
	for (int i = 0; i < 2; i++)
		printf("| %s | %.1f | %.1f | %.2f | %.1f | %s |\n", names[i], m0[i], m1[i], m1[i] > 0 ? m0[i] / m1[i] : 0,
		       t[i], t[i] < T_THRESHOLD ? "no difference seen" : "the classes differ");
	int ok = t[0] < T_THRESHOLD && t[1] >= T_THRESHOLD;
	if (t[1] < T_THRESHOLD)
		printf("\nFAILED: the control's leak was not seen, so this run proves nothing about crypto_equal\n");
	else if (t[0] >= T_THRESHOLD)
		printf("\nFAILED: crypto_equal takes a different time depending on where the inputs differ\n");
	else
		printf("\nok: crypto_equal shows no difference (abs(t) < %.1f) where memcmp shows one\n", T_THRESHOLD);
	return ok ? 0 : 1;
}
