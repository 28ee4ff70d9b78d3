/*
 * The log sink: errors, the listening address, connection events and the
 * --stats line, all on stderr, as text or as one JSON object per line.
 * The only module every layer may call.
 */
#ifndef SOCKIT_LOG_H
#define SOCKIT_LOG_H

#include <stdarg.h>

/* Byte counts and duration of a finished connection or run. */
struct log_xfer {
	unsigned long long	in;	/* bytes received from the peer */
	unsigned long long	out;	/* bytes sent to the peer */
	double			secs;
};

/*
 * Levels for log_event.  NOTICE: printed by default; with a reason it is
 * an error event (closed for a reason, denied, refused, dropped) that
 * --quiet does not hide either.  VERBOSE: with -v only, reason or not.
 * DEBUG: with -vv; no event uses it yet.
 */
#define LOG_NOTICE	0
#define LOG_VERBOSE	1
#define LOG_DEBUG	2

/* Sets the command name used in "sockit: CMD: " error prefixes. */
void	log_set_command(const char *);

/*
 * Sets what is printed: verbose is the -v count, quiet (--quiet) leaves
 * errors only, json (--log-format json) writes JSON lines.  The command
 * layer calls it whenever a global option changes; until then the log is
 * text at verbosity 0.
 */
void	log_configure(int, int, int);

/* "sockit: CMD: MESSAGE" (json: event "error"); always printed. */
void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));

/* log_error with ": strerror(errno)" appended. */
void	log_syserr(const char *, ...) __attribute__((format(printf, 1, 2)));

/*
 * Makes log_syserr add " (text)" after strerror when errno is errnum, for
 * the command layer to explain an error that only it can read ("Protocol
 * wrong type for socket (a datagram socket? try --dgram)").  One hint at
 * a time; text NULL removes it.  text must outlive its use.
 */
void	log_hint(int, const char *);

/* "MESSAGE" unless --quiet (json: event "info", field "msg"). */
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));

/*
 * One event line: "EVENT PEER[ in=N out=N S.SSSs][: REASON]", or in json
 * {"ts":..,"event":..,"peer":..,"in":..,"out":..,"duration":..,"error":..}.
 * peer, xfer and reason may be NULL.
 */
void	log_event(int, const char *, const char *, const struct log_xfer *,
	    const char *);

/*
 * log_event with one more field: " KEY=VALUE" before the reason in
 * text, "KEY":"VALUE" in json (the backend of a forwarded connection).
 */
void	log_event_kv(int, const char *, const char *, const struct log_xfer *,
	    const char *, const char *, const char *);

/*
 * The server's "listening on WHERE[SUFFIX]" line, with " (tls
 * sha256:HEX)" for a TLS server; json: event "listening" with
 * "address" and "tls_sha256".  Unless --quiet.
 */
void	log_listening(const char *, const char *, const char *);

/* The --stats summary line. */
void	log_stats(unsigned long long, const struct log_xfer *);

/*
 * The --progress line, redrawn in place with a carriage return; final
 * ends it with a newline.
 */
void	log_progress(const struct log_xfer *, int);

/* Returns 1 when events of this level without a reason are printed. */
int	log_enabled(int);

/*
 * Returns 1 when an event of this level with this reason (may be NULL)
 * is printed: for callers that would format its peer only to be told no.
 */
int	log_wanted(int, const char *);

#endif
