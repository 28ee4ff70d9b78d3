/*
 * Shared handling of --frame, --stdio-frame, --max-frame and --crlf.
 */
#include "config.h"

#include <string.h>

#include "args.h"
#include "frameopt.h"

void
frameopt_init(struct frame_opts *f, int datagram)
{
	char	err[FRAME_ERR_LEN];

	memset(f, 0, sizeof(*f));
	(void)frame_spec_parse(datagram ? "line" : "raw", &f->wire, err);
	(void)frame_spec_parse("line", &f->local, err);
	f->max_frame = FRAME_DEFAULT_MAX;
}

int
frameopt_set(struct frame_opts *f, int id, const char *arg, char **cause)
{
	static char	err[FRAME_ERR_LEN];
	long long	n;

	switch (id) {
	case FRAMEOPT_FRAME:
	case FRAMEOPT_STDIO_FRAME:
		if (frame_spec_parse(arg, id == FRAMEOPT_FRAME ? &f->wire :
		    &f->local, err) == -1) {
			*cause = args_cause("%s %s", id == FRAMEOPT_FRAME ?
			    "--frame:" : "--stdio-frame:", err);
			return (-1);
		}
		if (id == FRAMEOPT_STDIO_FRAME)
			f->local_set = 1;
		return (1);
	case FRAMEOPT_MAX_FRAME:
		if ((n = args_number(arg, 1, 1LL << 40, cause)) == -1) {
			*cause = args_cause("--max-frame: %s", *cause);
			return (-1);
		}
		f->max_frame = (unsigned long long)n;
		return (1);
	case FRAMEOPT_CRLF:
		f->crlf = 1;
		return (1);
	}
	return (0);
}

int
frameopt_finish(struct frame_opts *f, char **cause)
{
	char	err[FRAME_ERR_LEN];

	if (f->crlf && f->wire.kind != FRAME_RAW &&
	    f->wire.kind != FRAME_LINE) {
		*cause = args_cause("--crlf works with raw or line framing, "
		    "not with --frame %s", f->wire.kind == FRAME_DELIM ? "delim" :
		    f->wire.kind == FRAME_LEN ? "len" : "fixed");
		return (-1);
	}
	/* --crlf on raw bytes is nc -C: received bytes stay untouched. */
	f->crlf_raw = f->crlf && f->wire.kind == FRAME_RAW;
	if (!f->local_set && f->wire.kind == FRAME_RAW)
		(void)frame_spec_parse("raw", &f->local, err);
	f->wire.max_len = f->max_frame;
	f->local.max_len = f->max_frame;
	if (f->wire.kind == FRAME_LINE)
		f->wire.crlf = f->crlf;
	if ((f->wire.kind == FRAME_FIXED && f->wire.fixed_len > f->max_frame) ||
	    (f->local.kind == FRAME_FIXED &&
	    f->local.fixed_len > f->max_frame)) {
		*cause = args_cause("fixed:N is larger than --max-frame %llu",
		    f->max_frame);
		return (-1);
	}
	return (0);
}

int
frameopt_framed(const struct frame_opts *f)
{
	return (f->wire.kind != FRAME_RAW);
}
