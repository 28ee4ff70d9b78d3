/*
 * The server handlers: what a server does with each connection.  One
 * table line per handler says what it needs from the options and how it
 * starts; a new handler (forward, broker) is one function and one line
 * in handler.c.
 */
#ifndef SOCKIT_HANDLER_H
#define SOCKIT_HANDLER_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

struct conn;
struct dg_server;

enum server_handler {
	SERVER_ECHO,
	SERVER_UPPER,
	SERVER_DISCARD,
	SERVER_STDIO,
	SERVER_EXEC,
	SERVER_BANNER,	/* --banner alone: send and close */
	SERVER_FORWARD,	/* --forward TARGET */
	SERVER_BROKER	/* --broker */
};

/* handler.flags */
#define HANDLER_ONCE		0x01	/* serves one client (implies --once) */
#define HANDLER_RAW_ONLY	0x02	/* the program gets the raw bytes:
					   no --frame */
#define HANDLER_CHILD		0x04	/* runs a program per connection */
#define HANDLER_STDIN		0x08	/* reads this process's stdin */
#define HANDLER_REPLIES		0x10	/* answers each datagram with its
					   own bytes: they count as sent */
#define HANDLER_GREETS		0x20	/* --banner greets each new peer
					   (not when the banner is all) */

struct handler {
	enum server_handler	 id;
	const char		*name;		/* the option, without -- */
	int			 flags;
	/*
	 * Starts serving an accepted connection of the stream server:
	 * sets up and starts its relay.  Returns 0, or -1 with errno.
	 */
	int			 (*start)(struct conn *);
	/*
	 * What a datagram server does with one datagram from sa (NULL:
	 * not offered by the datagram commands).
	 */
	void			 (*dgram)(struct dg_server *,
				     const struct sockaddr_storage *, socklen_t,
				     unsigned char *, size_t);
};

/* The table line of a handler. */
const struct handler	*handler_get(enum server_handler);

#endif
