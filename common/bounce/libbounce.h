/*++
 * NAME
 *	libbounce 3h
 * SUMMARY
 *	the bounce parser
 * DESCRIPTION
 *	bounce_parse() reads one message with GMime and reports each
 *	recipient it names, classified by libclassify. Inside, calls go
 *	one way, from the top down:
 *
 *	bounce.c	the dispatcher: normalises the message, asks each
 *			format module in turn, completes and classifies
 *	bounce_dsn.c, bounce_layout.c, bounce_text.c, bounce_arf.c,
 *	bounce_ses.c, bounce_auto.c
 *			the format modules (RFC 3464 DSNs, the NDRs of a
 *			fixed template, other free-text NDRs, RFC 5965
 *			complaints, Amazon SES, RFC 3834 replies)
 *	bounce_mime.c	collects the texts of the parts that matter
 *	bounce_rcpt.c	the recipient list being built
 *	bounce_scan.c	small text scanners
 *
 *	bounce_json.c writes a result as "bounceguard parse --json" lines;
 *	parser_config.c builds a parser and its ruleset from the
 *	configuration (libconf). bounce_int.h and bounce_format.h are
 *	internal.
 *--*/
#ifndef BG_LIBBOUNCE_H
#define BG_LIBBOUNCE_H

#include "bounce.h"
#include "parser_config.h"

#endif
