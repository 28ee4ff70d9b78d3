/*
 * Option parsing for the global options and every command.  Each command
 * describes its options once, in a struct args_opt table; the getopt_long
 * tables, the --help text and the error messages all come from it.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "log.h"
#include "sockit.h"
#include "xmalloc.h"

struct sockit_config sockit_config = { 0, 0, 0, 0, AF_UNSPEC };

/* Ids of the global options, above any command's own ids. */
enum {
	ARGS_G_VERBOSE = 10000,
	ARGS_G_QUIET,
	ARGS_G_LOGFORMAT,
	ARGS_G_STATS,
	ARGS_G_INET4,
	ARGS_G_INET6,
	ARGS_G_HELP,
	ARGS_G_VERSION
};

/* The footer of every --help: getopt_long takes unique prefixes. */
#define ARGS_ABBREV_NOTE \
	"Long options may be abbreviated to a unique prefix (spell them out " \
	"in scripts)."

static const struct args_opt args_global[] = {
	{ "verbose", 'v', ARGS_NONE, ARGS_G_VERBOSE, NULL,
	  "log connection events on stderr" },
	{ "quiet", 0, ARGS_NONE, ARGS_G_QUIET, NULL,
	  "print only errors on stderr" },
	{ "log-format", 0, ARGS_REQUIRED, ARGS_G_LOGFORMAT, "text|json",
	  "log as text (default) or one JSON object per line" },
	{ "stats", 0, ARGS_NONE, ARGS_G_STATS, NULL,
	  "print a one-line summary on exit" },
	{ NULL, '4', ARGS_NONE, ARGS_G_INET4, NULL, "use IPv4 only" },
	{ NULL, '6', ARGS_NONE, ARGS_G_INET6, NULL, "use IPv6 only" },
	{ "help", 'h', ARGS_NONE, ARGS_G_HELP, NULL,
	  "print this help and exit" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

char *
args_cause(const char *fmt, ...)
{
	static char	buf[ARGS_CAUSE_LEN];
	char		tmp[sizeof(buf)];
	va_list		ap;

	/*
	 * Callers prefix an earlier cause with args_cause("%s: %s", name,
	 * *cause), so an argument may point into buf: format aside first.
	 */
	va_start(ap, fmt);
	(void)vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	memcpy(buf, tmp, sizeof(buf));
	return (buf);
}

/*
 * Returns 1 when cause already starts with the option's name ("-w: ...",
 * "--max-frame: ...", "--progress takes ..."), in either of its forms.
 */
static int
args_cause_names(const struct args_opt *o, const char *cause)
{
	size_t	n;

	if (o->shortc != 0 && cause[0] == '-' && cause[1] == o->shortc &&
	    (cause[2] == ':' || cause[2] == ' ' || cause[2] == '\0'))
		return (1);
	if (o->name == NULL || strncmp(cause, "--", 2) != 0)
		return (0);
	n = strlen(o->name);
	return (strncmp(cause + 2, o->name, n) == 0 && (cause[2 + n] == ':' ||
	    cause[2 + n] == ' ' || cause[2 + n] == '\0'));
}

const char *
args_opt_cause(const struct args_opt *o, int shortform, const char *cause)
{
	if (args_cause_names(o, cause))
		return (cause);
	if (shortform || o->name == NULL)
		return (args_cause("-%c: %s", o->shortc, cause));
	return (args_cause("--%s: %s", o->name, cause));
}

void
args_reset_getopt(void)
{
	/* glibc restarts with optind = 0; BSD wants optreset as well. */
#ifdef __GLIBC__
	optind = 0;
#else
	optind = 1;
	optreset = 1;
#endif
}

long long
args_number(const char *s, long long min, long long max, char **cause)
{
	long long	 v;
	char		*end;

	if (*s < '0' || *s > '9') {
		*cause = args_cause("\"%s\" is not a number", s);
		return (-1);
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		*cause = args_cause("\"%s\" is not a number", s);
		return (-1);
	}
	if (errno == ERANGE || v < min || v > max) {
		*cause = args_cause("%s is out of range (%lld-%lld)", s, min,
		    max);
		return (-1);
	}
	return (v);
}

long long
args_seconds(const char *s, long long max_sec, char **cause)
{
	double	 v;
	char	*end;

	if ((*s < '0' || *s > '9') && *s != '.') {
		*cause = args_cause("\"%s\" is not a number of seconds", s);
		return (-1);
	}
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || errno == ERANGE || v != v) {
		*cause = args_cause("\"%s\" is not a number of seconds", s);
		return (-1);
	}
	if (v > (double)max_sec) {
		*cause = args_cause("%s seconds is too long (max %lld)", s,
		    max_sec);
		return (-1);
	}
	return ((long long)(v * 1000.0 + 0.5));
}

/*
 * Applies one global option, and passes the log settings on to log.c at
 * once, so that the next message (even an error about a later option)
 * already honours them.  Returns 0 or -1 with *cause set.
 */
static int
args_global_apply(int id, const char *arg, char **cause)
{
	switch (id) {
	case ARGS_G_VERBOSE:
		sockit_config.verbose++;
		break;
	case ARGS_G_QUIET:
		sockit_config.quiet = 1;
		break;
	case ARGS_G_LOGFORMAT:
		if (strcmp(arg, "text") == 0)
			sockit_config.json = 0;
		else if (strcmp(arg, "json") == 0)
			sockit_config.json = 1;
		else {
			*cause = args_cause("--log-format: \"%s\" is not "
			    "text or json", arg);
			return (-1);
		}
		break;
	case ARGS_G_STATS:
		sockit_config.stats = 1;
		break;
	case ARGS_G_INET4:
		sockit_config.family = AF_INET;
		break;
	case ARGS_G_INET6:
		sockit_config.family = AF_INET6;
		break;
	}
	log_configure(sockit_config.verbose, sockit_config.quiet,
	    sockit_config.json);
	return (0);
}

static size_t
args_count(const struct args_opt *t)
{
	size_t	n = 0;

	while (t != NULL && (t[n].name != NULL || t[n].shortc != 0))
		n++;
	return (n);
}

/*
 * Builds getopt_long tables from the global and command tables.  The
 * long option's flag/val carry the index into the merged table.
 */
static void
args_build(const struct args_opt **merged, size_t n, struct option **lo,
    char **so)
{
	struct option	*l;
	char		*s, *p;
	size_t		 i, nl = 0;

	l = xcalloc(n + 1, sizeof(*l));
	s = p = xcalloc(3 * n + 2, 1);
	*p++ = ':';
	for (i = 0; i < n; i++) {
		const struct args_opt *o = merged[i];

		if (o->name != NULL) {
			l[nl].name = o->name;
			l[nl].has_arg = o->has_arg == ARGS_REQUIRED ?
			    required_argument : o->has_arg == ARGS_OPTIONAL ?
			    optional_argument : no_argument;
			l[nl].val = 256 + (int)i;
			nl++;
		}
		if (o->shortc != 0) {
			*p++ = (char)o->shortc;
			if (o->has_arg == ARGS_REQUIRED)
				*p++ = ':';
		}
	}
	*lo = l;
	*so = s;
}

/* Finds the merged-table index for what getopt_long returned. */
static const struct args_opt *
args_lookup(const struct args_opt **merged, size_t n, int c)
{
	size_t	i;

	if (c >= 256 && (size_t)(c - 256) < n)
		return (merged[c - 256]);
	for (i = 0; i < n; i++)
		if (merged[i]->shortc == c)
			return (merged[i]);
	return (NULL);
}

/* The name of the long option whose getopt_long val is val, or NULL. */
static const char *
args_long_name(const struct option *lo, int val)
{
	for (; lo->name != NULL; lo++)
		if (lo->val == val)
			return (lo->name);
	return (NULL);
}

/*
 * Lists in buf the long options that the first len bytes of name begin
 * ("--echo --exec" for "e"); returns how many there are.
 */
static int
args_prefixes(const struct option *lo, const char *name, size_t len,
    char *buf, size_t size)
{
	size_t	used;
	int	n = 0;

	buf[0] = '\0';
	for (; lo->name != NULL; lo++) {
		if (strncmp(lo->name, name, len) != 0)
			continue;
		n++;
		used = strlen(buf);
		(void)snprintf(buf + used, size - used, "%s--%s",
		    used > 0 ? " " : "", lo->name);
	}
	return (n);
}

/*
 * Says in one line why getopt_long refused an option (c is what it
 * returned, optopt which option): a missing value, a value given to a
 * flag, an unknown option or an ambiguous abbreviation.  cmd is the
 * command for the hint, or NULL before the command name.
 */
static void
args_bad_option(const char *cmd, const struct option *lo, char **argv, int c)
{
	const char	*what = argv[optind - 1], *name;
	char		 hint[128], list[512];
	size_t		 len;

	if (cmd != NULL)
		(void)snprintf(hint, sizeof(hint), "see 'sockit help %s'", cmd);
	else
		(void)snprintf(hint, sizeof(hint), "see 'sockit --help'");
	/* A known long option is reported by its val, a short one by itself. */
	if (optopt >= 256 && (name = args_long_name(lo, optopt)) != NULL) {
		if (c == ':')
			log_error("option --%s needs a value; %s", name, hint);
		else
			log_error("option --%s takes no value; %s", name, hint);
		return;
	}
	if (optopt > 0 && optopt < 256) {
		if (c == ':')
			log_error("option -%c needs a value; %s", optopt, hint);
		else
			log_error("unknown option -%c; %s", optopt, hint);
		return;
	}
	/* optopt 0: a long option that is unknown or ambiguous. */
	name = strncmp(what, "--", 2) == 0 ? what + 2 : what;
	len = strcspn(name, "=");
	if (args_prefixes(lo, name, len, list, sizeof(list)) > 1)
		log_error("option '--%.*s' is ambiguous; possibilities: %s",
		    (int)len, name, list);
	else
		log_error("unknown option --%.*s; %s", (int)len, name, hint);
}

/* Merges command and global tables into one array of pointers. */
static const struct args_opt **
args_merge(const struct args_opt *cmdopts, size_t *np)
{
	const struct args_opt	**m;
	size_t			  nc, ng, i;

	nc = args_count(cmdopts);
	ng = args_count(args_global);
	m = xcalloc(nc + ng, sizeof(*m));
	for (i = 0; i < nc; i++)
		m[i] = &cmdopts[i];
	for (i = 0; i < ng; i++)
		m[nc + i] = &args_global[i];
	*np = nc + ng;
	return (m);
}

int
args_parse(const struct cmd_entry *entry, int argc, char **argv, args_cb cb,
    void *ctx, int *first)
{
	const struct args_opt	**merged, *o;
	struct option		 *lo;
	char			 *so, *cause = NULL;
	size_t			  n;
	int			  c, rc = ARGS_OK;

	merged = args_merge(entry->options, &n);
	args_build(merged, n, &lo, &so);
	args_reset_getopt();
	opterr = 0;
	while (rc == ARGS_OK && (c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if ((o = args_lookup(merged, n, c)) == NULL) {
			args_bad_option(entry->name, lo, argv, c);
			rc = ARGS_ERROR;
		} else if (o->id == ARGS_G_HELP) {
			args_usage(stdout, entry);
			rc = ARGS_HELP;
		} else if (o->id >= ARGS_G_VERBOSE) {
			if (args_global_apply(o->id, optarg, &cause) == -1) {
				log_error("%s", cause);
				rc = ARGS_ERROR;
			}
		} else if (cb(ctx, o->id, optarg, &cause) == -1) {
			log_error("%s", args_opt_cause(o, c < 256, cause));
			rc = ARGS_ERROR;
		}
	}
	*first = optind;
	free(merged);
	free(lo);
	free(so);
	return (rc);
}

int
args_parse_global(int argc, char **argv, int *first, int *help, int *version)
{
	/* Long options return their ids, far from any short letter. */
	static const struct option lo[] = {
		{ "verbose", no_argument, NULL, ARGS_G_VERBOSE },
		{ "quiet", no_argument, NULL, ARGS_G_QUIET },
		{ "log-format", required_argument, NULL, ARGS_G_LOGFORMAT },
		{ "stats", no_argument, NULL, ARGS_G_STATS },
		{ "help", no_argument, NULL, ARGS_G_HELP },
		{ "version", no_argument, NULL, ARGS_G_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	char	*cause = NULL;
	int	 c;

	*help = *version = 0;
	args_reset_getopt();
	opterr = 0;
	/* A leading + stops at the command name, so its options stay. */
	while ((c = getopt_long(argc, argv, "+:46hv", lo, NULL)) != -1) {
		switch (c) {
		case '4':
			c = ARGS_G_INET4;
			break;
		case '6':
			c = ARGS_G_INET6;
			break;
		case 'h':
			c = ARGS_G_HELP;
			break;
		case 'v':
			c = ARGS_G_VERBOSE;
			break;
		}
		if (c == ARGS_G_HELP)
			*help = 1;
		else if (c == ARGS_G_VERSION)
			*version = 1;
		else if (c < ARGS_G_VERBOSE) {
			args_bad_option(NULL, lo, argv, c);
			return (ARGS_ERROR);
		} else if (args_global_apply(c, optarg, &cause) == -1) {
			log_error("%s", cause);
			return (ARGS_ERROR);
		}
	}
	*first = optind;
	return (ARGS_OK);
}

/* Prints one option line: "  -b, --bind HOST    help". */
static void
args_usage_opt(FILE *f, const struct args_opt *o)
{
	char	left[64];
	int	n;

	if (o->shortc != 0 && o->name != NULL)
		n = snprintf(left, sizeof(left), "-%c, --%s", o->shortc,
		    o->name);
	else if (o->shortc != 0)
		n = snprintf(left, sizeof(left), "-%c", o->shortc);
	else
		n = snprintf(left, sizeof(left), "    --%s", o->name);
	if (o->argname != NULL && n > 0 && (size_t)n < sizeof(left))
		snprintf(left + n, sizeof(left) - n, "%s%s",
		    o->has_arg == ARGS_OPTIONAL ? "[=" : " ", o->argname);
	if (o->has_arg == ARGS_OPTIONAL && strlen(left) + 1 < sizeof(left))
		strcat(left, "]");
	if (strlen(left) > 26)
		fprintf(f, "  %s\n  %-26s  %s\n", left, "", o->help);
	else
		fprintf(f, "  %-26s  %s\n", left, o->help);
}

void
args_usage(FILE *f, const struct cmd_entry *entry)
{
	const struct args_opt	*o;

	fprintf(f, "usage: sockit %s %s\n", entry->name, entry->usage);
	fprintf(f, "%s\n", entry->summary);
	if (entry->options != NULL && args_count(entry->options) > 0) {
		fprintf(f, "\nOptions:\n");
		for (o = entry->options; o->name != NULL || o->shortc != 0;
		    o++)
			args_usage_opt(f, o);
	}
	fprintf(f, "\nGlobal options:\n");
	for (o = args_global; o->name != NULL || o->shortc != 0; o++)
		args_usage_opt(f, o);
	fprintf(f, "\n%s\n", ARGS_ABBREV_NOTE);
	fflush(f);
}

void
args_usage_global(FILE *f, const struct cmd_entry *const *table)
{
	const struct args_opt	*o;
	size_t			 i;

	fprintf(f, "usage: sockit [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
	    "       sockit help [COMMAND]\n"
	    "       sockit --help | --version\n\n"
	    "A netcat-like networking toolkit.\n\nCommands:\n");
	for (i = 0; table[i] != NULL; i++)
		fprintf(f, "  %-12s  %s\n", table[i]->name, table[i]->summary);
	fprintf(f, "\nGlobal options:\n");
	for (o = args_global; o->name != NULL || o->shortc != 0; o++)
		args_usage_opt(f, o);
	args_usage_opt(f, &(const struct args_opt){ "version", 0, ARGS_NONE,
	    0, NULL, "print the version and exit" });
	fprintf(f, "\nExit status:\n"
	    "  0  success\n"
	    "  1  runtime error (I/O error, connection reset, DNS failure, "
	    "resource limits)\n"
	    "  2  usage error (bad option, address, frame spec, key file)\n"
	    "  3  connection refused / nobody listening\n"
	    "  4  timeout (connect, --wait-for, idle, --expect)\n"
	    "  5  framing or protocol error\n"
	    "  6  expectation not met (--expect saw EOF; udp-client got fewer "
	    "replies)\n"
	    "  7  peer authentication failed (TLS certificate, name or pin; "
	    "proxy auth)\n"
	    "  ssh-lite exec: the remote status, 124 on --timeout, 255 for "
	    "its own failures\n"
	    "\n%s\n"
	    "Run 'sockit help COMMAND' for a command's options; "
	    "see sockit(1).\n", ARGS_ABBREV_NOTE);
	fflush(f);
}
