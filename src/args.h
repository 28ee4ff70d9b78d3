/*
 * Option parsing: a getopt_long driver over per-command option tables,
 * the global options every command accepts, usage text generated from the
 * same tables, and bounded number parsing.
 */
#ifndef SOCKIT_ARGS_H
#define SOCKIT_ARGS_H

#include <stdio.h>

struct cmd_entry;

#define ARGS_NONE	0
#define ARGS_REQUIRED	1
#define ARGS_OPTIONAL	2	/* --opt=VALUE only */

/* One option of a command; tables end with a NULL name. */
struct args_opt {
	const char	*name;		/* long name, without -- */
	int		 shortc;	/* short letter, or 0 */
	int		 has_arg;	/* ARGS_NONE/REQUIRED/OPTIONAL */
	int		 id;		/* passed to the callback (>= 0) */
	const char	*argname;	/* "SEC", "HOST"; NULL without arg */
	const char	*help;		/* one line for --help */
};

/*
 * Called once per option in command-line order.  Returns 0, or -1 and
 * sets *cause (malloc'd or static via args_cause()) for a bad value.
 */
typedef int (*args_cb)(void *, int, const char *, char **);

/* Results of args_parse. */
#define ARGS_OK		0
#define ARGS_HELP	1	/* --help was given and usage printed */
#define ARGS_ERROR	(-1)	/* a one-line error was printed */

/*
 * Parses a command's argv (argv[0] is the command name).  Options may come
 * before or after positionals; "--" ends options.  Global options (-v,
 * --quiet, --log-format, --stats, -4, -6) fill sockit_config; the rest go
 * to cb.  The positionals are left in argv[*first .. argc).  Prints errors
 * and --help itself.
 */
int	args_parse(const struct cmd_entry *, int, char **, args_cb, void *,
	    int *);

/* Parses the global options in front of the command name. */
int	args_parse_global(int, char **, int *, int *, int *);

/* Prints the usage of a command, or the overview when entry is NULL. */
void	args_usage(FILE *, const struct cmd_entry *);
void	args_usage_global(FILE *, const struct cmd_entry *const *);

/*
 * Bounded number parsing.  args_number accepts decimal digits only, within
 * [min, max].  args_seconds accepts "1", "0.5", "2.25" (>= 0, at most
 * max_sec) and returns milliseconds.  Both return -1 on error and set
 * *cause to a static message.
 */
long long	args_number(const char *, long long, long long, char **);
long long	args_seconds(const char *, long long, char **);

/*
 * Formats a cause for the callback: returns a pointer to a static buffer
 * (one at a time, enough for one error line).  An argument may be the
 * previous cause, as in args_cause("%s: %s", name, *cause).
 */
#define ARGS_CAUSE_LEN	512
char	*args_cause(const char *, ...) __attribute__((format(printf, 1, 2)));

/*
 * Names option o at the front of a callback's cause, exactly once: returns
 * cause itself when it already starts with the option ("-w: ..."), else
 * "-X: cause" (shortform) or "--NAME: cause" in args_cause's buffer.
 */
const char	*args_opt_cause(const struct args_opt *, int, const char *);

/* Resets getopt so a second getopt_long pass starts afresh. */
void	args_reset_getopt(void);

#endif
