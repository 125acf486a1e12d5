/*++
 * NAME
 *	libclassify 3h
 * SUMMARY
 *	classification rule files and the classifier
 * DESCRIPTION
 *	Turns what a bounce says about one recipient (status code, reply
 *	code, the refused SMTP command, the diagnostic) into a reason of
 *	libmail's vocabulary and says which rule decided.
 *
 *	rules.c		loads the PCRE2 rule files (bounceguard-rules(5)) and
 *			matches them
 *	rules_pre.c	a literal prefilter that skips rules whose fixed
 *			words are absent (internal)
 *	classify.c	the order of evidence: codes, rules, reply codes
 *
 *	Uses libbase and libmail; knows nothing of MIME or the store.
 *--*/
#ifndef BG_LIBCLASSIFY_H
#define BG_LIBCLASSIFY_H

#include "classify.h"
#include "rules.h"

#endif
