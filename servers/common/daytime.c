/* daytime.c - RFC 867: "Weekday, Month Day, Year HH:MM:SS-Zone" plus CRLF. */
#include "daytime.h"

#include <time.h>

size_t daytime_format(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	size_t n = strftime(buf, len > 2 ? len - 2 : 0, "%A, %B %d, %Y %H:%M:%S-%Z", &tm);
	if (n == 0 || n + 2 >= len)
		return 0;
	buf[n++] = '\r';
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}
