/*
 * log.h - logging in the OpenBSD manner.
 *
 * Foreground: lines on stderr, prefixed with the sd-daemon priority
 * ("<3>" ...) when running under systemd (JOURNAL_STREAM set) and with the
 * program name otherwise.  Detached: syslog(3).
 */
#ifndef DEBPIPE_LOG_H
#define DEBPIPE_LOG_H

#include <stdarg.h>

void	log_init(const char *progname, int foreground);
void	log_setverbose(int verbose);		/* >0 enables log_debug */
int	log_getverbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
