/*
 * Log sink: text or JSON lines on stderr.
 */
#include "config.h"

#include <sys/time.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *log_command = NULL;

/* A hint that log_syserr adds after strerror(hint_errno); see log_hint. */
static int		 log_hint_errno;
static const char	*log_hint_text;

/* What the global options asked for; set by log_configure. */
static struct {
	int	verbose;	/* -v count */
	int	quiet;		/* --quiet */
	int	json;		/* --log-format json */
} log_conf;

/* A line is built in memory and written with one write(2), so that lines
 * of concurrent processes (workers, sessions) never interleave. */
struct log_line {
	FILE	*f;
	char	*buf;
	size_t	 len;
};

static FILE *
log_begin(struct log_line *l)
{
	l->buf = NULL;
	l->len = 0;
	if ((l->f = open_memstream(&l->buf, &l->len)) == NULL)
		return (stderr);	/* unbuffered: still one line */
	return (l->f);
}

static void
log_end(struct log_line *l)
{
	size_t	off = 0;
	ssize_t	n;

	if (l->f == NULL) {
		fflush(stderr);
		return;
	}
	if (fclose(l->f) != 0) {
		free(l->buf);
		return;
	}
	while (off < l->len) {
		n = write(STDERR_FILENO, l->buf + off, l->len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* stderr is gone: nowhere left to say so */
		off += (size_t)n;
	}
	free(l->buf);
}

void
log_set_command(const char *name)
{
	log_command = name;
}

void
log_hint(int errnum, const char *text)
{
	log_hint_errno = errnum;
	log_hint_text = text;
}

void
log_configure(int verbose, int quiet, int json)
{
	log_conf.verbose = verbose;
	log_conf.quiet = quiet;
	log_conf.json = json;
}

int
log_enabled(int level)
{
	if (log_conf.quiet)
		return (0);
	return (level <= log_conf.verbose);
}

int
log_wanted(int level, const char *reason)
{
	/* An error (a reason) at the default level survives --quiet. */
	return (log_enabled(level) || (reason != NULL && level <= LOG_NOTICE));
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
	struct log_line	 l;
	FILE		*f;
	char		 msg[1024];
	int		 saved = errno;
	size_t		 len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		len = strlen(msg);
		snprintf(msg + len, sizeof(msg) - len, ": %s",
		    strerror(saved));
		if (log_hint_text != NULL && saved == log_hint_errno) {
			len = strlen(msg);
			snprintf(msg + len, sizeof(msg) - len, " (%s)",
			    log_hint_text);
		}
	}
	f = log_begin(&l);
	if (log_conf.json) {
		log_json_open(f, is_error ? "error" : "info");
		if (log_command != NULL)
			log_json_field(f, "command", log_command);
		log_json_field(f, is_error ? "error" : "msg", msg);
		fputs("}\n", f);
	} else if (is_error && log_command != NULL)
		fprintf(f, "sockit: %s: %s\n", log_command, msg);
	else if (is_error)
		fprintf(f, "sockit: %s\n", msg);
	else
		fprintf(f, "%s\n", msg);
	log_end(&l);
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

	if (log_conf.quiet)
		return;
	va_start(ap, fmt);
	log_message(0, fmt, ap, 0);
	va_end(ap);
}

static void
log_event_json(FILE *f, const char *event, const char *peer,
    const struct log_xfer *x, const char *reason, const char *key,
    const char *value)
{
	log_json_open(f, event);
	if (peer != NULL)
		log_json_field(f, "peer", peer);
	if (x != NULL)
		fprintf(f, ",\"in\":%llu,\"out\":%llu,\"duration\":%.6f",
		    x->in, x->out, x->secs);
	if (key != NULL && value != NULL)
		log_json_field(f, key, value);
	if (reason != NULL)
		log_json_field(f, "error", reason);
	fputs("}\n", f);
}

static void
log_event_text(FILE *f, const char *event, const char *peer,
    const struct log_xfer *x, const char *reason, const char *key,
    const char *value)
{
	fputs(event, f);
	if (peer != NULL)
		fprintf(f, " %s", peer);
	if (x != NULL)
		fprintf(f, " in=%llu out=%llu %.3fs", x->in, x->out, x->secs);
	if (key != NULL && value != NULL)
		fprintf(f, " %s=%s", key, value);
	if (reason != NULL)
		fprintf(f, ": %s", reason);
	fputc('\n', f);
}

void
log_event_kv(int level, const char *event, const char *peer,
    const struct log_xfer *x, const char *reason, const char *key,
    const char *value)
{
	struct log_line	 l;
	FILE		*f;
	int		 saved = errno;

	if (!log_wanted(level, reason))
		return;
	f = log_begin(&l);
	if (log_conf.json)
		log_event_json(f, event, peer, x, reason, key, value);
	else
		log_event_text(f, event, peer, x, reason, key, value);
	log_end(&l);
	errno = saved;
}

void
log_event(int level, const char *event, const char *peer,
    const struct log_xfer *x, const char *reason)
{
	log_event_kv(level, event, peer, x, reason, NULL, NULL);
}

void
log_listening(const char *where, const char *suffix, const char *sha256)
{
	struct log_line	 l;
	FILE		*f;

	if (log_conf.quiet)
		return;
	f = log_begin(&l);
	if (log_conf.json) {
		log_json_open(f, "listening");
		if (log_command != NULL)
			log_json_field(f, "command", log_command);
		log_json_field(f, "address", where);
		if (sha256 != NULL)
			log_json_field(f, "tls_sha256", sha256);
		fputs("}\n", f);
	} else
		fprintf(f, "listening on %s%s%s%s%s\n", where,
		    suffix != NULL ? suffix : "", sha256 != NULL ? " (tls " :
		    "", sha256 != NULL ? sha256 : "", sha256 != NULL ? ")" : "");
	log_end(&l);
}

void
log_stats(unsigned long long conns, const struct log_xfer *x)
{
	struct log_line	 l;
	FILE		*f;
	double		 rate;

	rate = x->secs > 0 ? (double)(x->in + x->out) / x->secs : 0;
	f = log_begin(&l);
	if (log_conf.json) {
		log_json_open(f, "stats");
		fprintf(f, ",\"connections\":%llu,\"in\":%llu,"
		    "\"out\":%llu,\"duration\":%.6f,\"bytes_per_sec\":%.0f}\n",
		    conns, x->in, x->out, x->secs, rate);
	} else
		fprintf(f, "stats: connections=%llu in=%llu out=%llu "
		    "duration=%.3fs throughput=%.2f MiB/s\n", conns, x->in,
		    x->out, x->secs, rate / (1024 * 1024));
	log_end(&l);
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
