/*++
 * NAME
 *	rules_pre 3h
 * SUMMARY
 *	literal prefilter for the classification rules
 * DESCRIPTION
 *	Internal to rules.c: an Aho-Corasick automaton over literals that
 *	every match of a rule's pattern must contain. rules_pre_scan()
 *	sets cand[i] for each rule i that may match a text; a rule for
 *	which rules_pre_always() is true must always be tried.
 *
 *	Ownership: rules_pre_build() returns an automaton the caller
 *	releases with rules_pre_free(); it keeps no pointer to its input.
 *--*/
#ifndef BG_RULES_PRE_H
#define BG_RULES_PRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rules_pre;

struct rules_pre *rules_pre_build(const char *const *, const uint32_t *,
	    size_t);
void	rules_pre_scan(const struct rules_pre *, const char *, uint8_t *);
bool	rules_pre_always(const struct rules_pre *, size_t);
void	rules_pre_free(struct rules_pre *);

#endif
