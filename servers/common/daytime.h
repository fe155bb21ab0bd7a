/* daytime.h - RFC 867: the current local time as one line ending in CRLF. */
#ifndef DAYTIME_H
#define DAYTIME_H

#include <stddef.h>

/* Format the line into buf; returns its length (including CRLF). */
size_t daytime_format(char *buf, size_t len);

#endif
