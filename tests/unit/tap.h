/* tap.h - the Test Anything Protocol for the C unit tests, once.
 *
 *   tap_check(ok, name, "expected %d, got %d", want, got);
 *   ...
 *   tap_skip(name, "why");   a check that cannot run here
 *   return tap_done();   prints the plan "1..N"; 0 when every check passed, else 1
 *                        (77 when every check was skipped, as liburing's tests say "skip")
 *
 * A failed check prints "not ok N - name: " and the formatted message (what was
 * expected and what came). Header-only: one test program, one counter.
 */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_count, tap_failed, tap_skipped;

__attribute__((format(printf, 3, 4), unused)) static int tap_check(int ok, const char *name,
								  const char *fmt, ...)
{
	va_list ap;
	tap_count++;
	if (ok) {
		printf("ok %d - %s\n", tap_count, name);
		return 1;
	}
	tap_failed++;
	printf("not ok %d - %s: ", tap_count, name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return 0;
}

/* A check that cannot run here: "ok N - name # SKIP why". */
__attribute__((unused)) static void tap_skip(const char *name, const char *why)
{
	tap_count++;
	tap_skipped++;
	printf("ok %d - %s # SKIP %s\n", tap_count, name, why);
}

/* A diagnostic line ("# ..."), shown by TAP consumers beside the results. */
__attribute__((format(printf, 1, 2), unused)) static void tap_note(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

__attribute__((unused)) static int tap_done(void)
{
	printf("1..%d\n", tap_count);
	if (tap_failed)
		fprintf(stderr, "%d of %d failed\n", tap_failed, tap_count);
	fflush(stdout);
	return tap_failed ? 1 : tap_count > 0 && tap_skipped == tap_count ? 77 : 0;
}

#endif
