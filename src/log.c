/*
 * Log sink: text or JSON lines on stderr.
 */
#include "config.h"

#include <sys/time.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "sockit.h"

static const char *log_command = NULL;

void
log_set_command(const char *name)
{
	log_command = name;
}

int
log_enabled(int level)
{
	if (sockit_config.quiet)
		return (0);
	return (level <= sockit_config.verbose);
}

/* Appends s to buf as a JSON string body (quotes excluded). */
static void
log_json_str(FILE *f, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
}

/* Writes the opening of a JSON event line: timestamp and event name. */
static void
log_json_open(FILE *f, const char *event)
{
	struct timespec	ts;
	struct tm	tm;
	char		stamp[32];

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL) {
		ts.tv_sec = 0;
		ts.tv_nsec = 0;
		memset(&tm, 0, sizeof(tm));
	}
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "{\"ts\":\"%s.%03ldZ\",\"event\":\"", stamp,
	    ts.tv_nsec / 1000000);
	log_json_str(f, event);
	fputc('"', f);
}

static void
log_json_field(FILE *f, const char *name, const char *value)
{
	fprintf(f, ",\"%s\":\"", name);
	log_json_str(f, value);
	fputc('"', f);
}

/*
 * Formats the whole line first so that concurrent writers (workers,
 * children) never interleave half lines.
 */
static void
log_message(int is_error, const char *fmt, va_list ap, int with_errno)
{
	char	msg[1024];
	int	saved = errno;
	size_t	len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		len = strlen(msg);
		snprintf(msg + len, sizeof(msg) - len, ": %s",
		    strerror(saved));
	}
	if (sockit_config.json) {
		log_json_open(stderr, is_error ? "error" : "info");
		if (log_command != NULL)
			log_json_field(stderr, "command", log_command);
		log_json_field(stderr, is_error ? "error" : "msg", msg);
		fputs("}\n", stderr);
	} else if (is_error && log_command != NULL)
		fprintf(stderr, "sockit: %s: %s\n", log_command, msg);
	else if (is_error)
		fprintf(stderr, "sockit: %s\n", msg);
	else
		fprintf(stderr, "%s\n", msg);
	fflush(stderr);
	errno = saved;
}

void
log_error(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_message(1, fmt, ap, 0);
	va_end(ap);
}

void
log_syserr(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_message(1, fmt, ap, 1);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	if (sockit_config.quiet)
		return;
	va_start(ap, fmt);
	log_message(0, fmt, ap, 0);
	va_end(ap);
}

static void
log_event_json(const char *event, const char *peer,
    const struct log_xfer *x, const char *reason)
{
	log_json_open(stderr, event);
	if (peer != NULL)
		log_json_field(stderr, "peer", peer);
	if (x != NULL)
		fprintf(stderr, ",\"in\":%llu,\"out\":%llu,\"duration\":%.6f",
		    x->in, x->out, x->secs);
	if (reason != NULL)
		log_json_field(stderr, "error", reason);
	fputs("}\n", stderr);
}

static void
log_event_text(const char *event, const char *peer,
    const struct log_xfer *x, const char *reason)
{
	fputs(event, stderr);
	if (peer != NULL)
		fprintf(stderr, " %s", peer);
	if (x != NULL)
		fprintf(stderr, " in=%llu out=%llu %.3fs", x->in, x->out,
		    x->secs);
	if (reason != NULL)
		fprintf(stderr, ": %s", reason);
	fputc('\n', stderr);
}

void
log_event(int level, const char *event, const char *peer,
    const struct log_xfer *x, const char *reason)
{
	int	saved = errno;

	if (!log_enabled(level))
		return;
	if (sockit_config.json)
		log_event_json(event, peer, x, reason);
	else
		log_event_text(event, peer, x, reason);
	fflush(stderr);
	errno = saved;
}

void
log_stats(unsigned long long conns, const struct log_xfer *x)
{
	double	rate;

	rate = x->secs > 0 ? (double)(x->in + x->out) / x->secs : 0;
	if (sockit_config.json) {
		log_json_open(stderr, "stats");
		fprintf(stderr, ",\"connections\":%llu,\"in\":%llu,"
		    "\"out\":%llu,\"duration\":%.6f,\"bytes_per_sec\":%.0f}\n",
		    conns, x->in, x->out, x->secs, rate);
	} else
		fprintf(stderr, "stats: connections=%llu in=%llu out=%llu "
		    "duration=%.3fs throughput=%.2f MiB/s\n", conns, x->in,
		    x->out, x->secs, rate / (1024 * 1024));
	fflush(stderr);
}

void
log_progress(const struct log_xfer *x, int final)
{
	double	rate;

	rate = x->secs > 0 ? (double)(x->in + x->out) / x->secs : 0;
	fprintf(stderr, "\rsockit: in %llu out %llu  %.1f MiB/s %s", x->in,
	    x->out, rate / (1024 * 1024), final ? "\n" : "");
	fflush(stderr);
}
