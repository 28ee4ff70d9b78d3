/*
 * The framing options every command shares: --frame, --stdio-frame,
 * --max-frame and --crlf, parsed into the wire and local frame specs.
 */
#ifndef SOCKIT_FRAMEOPT_H
#define SOCKIT_FRAMEOPT_H

#include "frame.h"

struct frame_opts {
	struct frame_spec	wire;		/* --frame (default raw) */
	struct frame_spec	local;		/* --stdio-frame */
	int			local_set;
	int			crlf;
	int			crlf_raw;	/* --crlf on a raw wire: nc -C */
	unsigned long long	max_frame;
};

enum {
	FRAMEOPT_FRAME = 50,
	FRAMEOPT_STDIO_FRAME,
	FRAMEOPT_MAX_FRAME,
	FRAMEOPT_CRLF
};

#define FRAMEOPT_OPTIONS_WITH(frame_help) \
	{ "frame", 0, ARGS_REQUIRED, FRAMEOPT_FRAME, "SPEC", frame_help }, \
	{ "stdio-frame", 0, ARGS_REQUIRED, FRAMEOPT_STDIO_FRAME, "SPEC", \
	  "framing of stdin/stdout (default: line with --frame)" }, \
	{ "max-frame", 0, ARGS_REQUIRED, FRAMEOPT_MAX_FRAME, "BYTES", \
	  "longest message accepted (default 16777216)" }, \
	{ "crlf", 0, ARGS_NONE, FRAMEOPT_CRLF, NULL, \
	  "send line ends as \\r\\n (nc -C); with --frame line: CRLF lines" }

/* Stream commands: --frame splits the connection's bytes. */
#define FRAMEOPT_OPTIONS FRAMEOPT_OPTIONS_WITH( \
	"wire framing: raw line delim:X len8..len64[le] fixed:N")

/* UDP: a datagram is already one message; --frame splits stdin/stdout. */
#define FRAMEOPT_DGRAM_OPTIONS FRAMEOPT_OPTIONS_WITH( \
	"stdin/stdout framing: raw line delim:X len8..len64[le] fixed:N")

/* Defaults: raw wire, line local side, FRAME_DEFAULT_MAX. */
void	frameopt_init(struct frame_opts *, int);

/*
 * Applies option id; returns 1 when the id is a framing option it took,
 * 0 when it is not one, -1 on a bad value with *cause set.
 */
int	frameopt_set(struct frame_opts *, int, const char *, char **);

/*
 * Applies --max-frame and --crlf to both specs and picks the local
 * default (line when the wire is framed, raw otherwise).  --crlf on a
 * raw wire sets crlf_raw (LF → CRLF on what is sent, as nc -C); with
 * line framing the wire's lines end in CRLF; with any other framing it
 * is an error.  Returns 0 or -1 with *cause set (that, or fixed:N larger
 * than --max-frame).
 */
int	frameopt_finish(struct frame_opts *, char **);

/* 1 when the wire is not raw. */
int	frameopt_framed(const struct frame_opts *);

#endif
