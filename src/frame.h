/*
 * Message framing: where messages begin and end on a byte stream.
 *
 * The module is pure: no I/O, no allocation.  The decoder is incremental:
 * the caller keeps the undecoded bytes in its own buffer and calls
 * frame_decode() on them whenever more have arrived; the decoder answers
 * "need more", "here is a frame (offset, length) inside your buffer", or
 * an error.  It remembers how far it has already searched for a
 * delimiter, so feeding one byte at a time stays linear.
 */
#ifndef SOCKIT_FRAME_H
#define SOCKIT_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_ERR_LEN		256
#define FRAME_DEFAULT_MAX	(16 * 1024 * 1024)
#define FRAME_HDR_MAX		8	/* longest length header */
#define FRAME_OVERHEAD_MAX	8	/* most bytes framing adds to a payload */

enum frame_kind {
	FRAME_RAW,	/* no boundaries: every chunk is passed on as it is */
	FRAME_LINE,	/* ends with \n (\r\n accepted and sent with crlf) */
	FRAME_DELIM,	/* ends with one chosen byte */
	FRAME_LEN,	/* 1/2/4/8-byte unsigned length header, then payload */
	FRAME_FIXED	/* every message is exactly fixed_len bytes */
};

struct frame_spec {
	enum frame_kind	kind;
	unsigned char	delim;		/* FRAME_DELIM; '\n' for FRAME_LINE */
	int		crlf;		/* FRAME_LINE: send \r\n, strip \r */
	int		hdr_len;	/* FRAME_LEN: 1, 2, 4 or 8 */
	int		little_endian;	/* FRAME_LEN: len32le and friends */
	uint64_t	fixed_len;	/* FRAME_FIXED */
	uint64_t	max_len;	/* longest payload accepted or sent */
};

/* Decoder results. */
enum frame_status {
	FRAME_OK = 0,		/* a whole frame is described by frame_msg */
	FRAME_NEED_MORE,	/* no whole frame yet: feed more bytes */
	FRAME_TOO_BIG,		/* announced or accumulated size > max_len */
	FRAME_PARTIAL		/* frame_decode_eof(): bytes left over at EOF */
};

struct frame_dec {
	const struct frame_spec	*spec;
	size_t			 scanned; /* bytes already searched for delim */
};

/* Where a decoded frame lies in the caller's buffer. */
struct frame_msg {
	size_t	off;		/* payload offset from the buffer start */
	size_t	len;		/* payload length */
	size_t	consumed;	/* bytes to drop from the buffer start */
};

/*
 * Parses SPEC ("raw", "line", "delim:X", "len8".."len64", "len16le"..,
 * "fixed:N") into *spec; max_len is set to FRAME_DEFAULT_MAX and crlf to 0.
 * X may be one byte or an escape (\0, \t, \n, \r, \\, \xHH).  Returns 0, or
 * -1 with a message in err (FRAME_ERR_LEN bytes, may be NULL).
 */
int	frame_spec_parse(const char *, struct frame_spec *, char *);

/* Writes the canonical name of spec ("len32le", "delim:\x1e") to buf. */
void	frame_spec_name(const struct frame_spec *, char *, size_t);

void	frame_dec_init(struct frame_dec *, const struct frame_spec *);

/*
 * Looks for one frame at the start of buf[0..len).  On FRAME_OK fills *msg;
 * the caller drops msg->consumed bytes (then the next frame starts at
 * buf + consumed).  For FRAME_RAW any non-empty buffer is one frame.
 * FRAME_TOO_BIG is returned as soon as it is certain: a length header that
 * announces more than max_len, or more than max_len bytes without a
 * delimiter.  The decoder never reads beyond buf[len - 1].
 */
enum frame_status frame_decode(struct frame_dec *, const unsigned char *,
	    size_t, struct frame_msg *);

/*
 * At end of stream: FRAME_OK when len (the undecoded bytes left) is 0,
 * FRAME_PARTIAL otherwise.  FRAME_RAW never has a partial frame.
 */
enum frame_status frame_decode_eof(struct frame_dec *, size_t);

/*
 * Encoding.  frame_encode_head() writes what goes before a payload of
 * length len (the length header; nothing for other kinds) into
 * head[FRAME_HDR_MAX] and returns its size; frame_encode_tail() writes what
 * goes after it (\n, \r\n, the delimiter; nothing for LEN/FIXED/RAW) into
 * tail[2] and returns its size.  Both return -1 with errno EMSGSIZE when
 * len > max_len, when len does not fit the header, or for FRAME_FIXED when
 * len != fixed_len.
 */
int	frame_encode_head(const struct frame_spec *, size_t, unsigned char *);
int	frame_encode_tail(const struct frame_spec *, size_t, unsigned char *);

/*
 * Convenience: head + payload + tail into out[0..cap).  Returns the encoded
 * size, or -1 (errno EMSGSIZE as above, ENOBUFS when cap is too small).
 */
long	frame_encode(const struct frame_spec *, const void *, size_t, void *,
	    size_t);

/* Human-readable text for a status, for log lines. */
const char *frame_strerror(enum frame_status);

#endif
