/*++
 * NAME
 *	negotiate 3h
 * SUMMARY
 *	what bounceguard-milter asks of the MTA at option negotiation
 * DESCRIPTION
 *	NEGOTIATE_ACTIONS are the actions the milter needs (change the
 *	envelope sender, add a header, choose its macros), NEGOTIATE_STEPS
 *	the protocol steps it skips or does not answer. NEGOTIATE_MACROS
 *	applies X(stage, list) to each step's macro list: only the macros
 *	the milter reads. Postfix sends each step's macros even for a step
 *	the milter skips, and takes an empty list for "the default list"
 *	(milter_*_macros), so each list names one at least.
 *
 *	bench/milter_null.c and bench/milter_floor.c negotiate the same,
 *	so that what they cost Postfix compares with what the milter
 *	costs.
 *--*/
#ifndef BG_NEGOTIATE_H
#define BG_NEGOTIATE_H

#include <libmilter/mfapi.h>

#define NEGOTIATE_ACTIONS \
	(SMFIF_CHGFROM | SMFIF_ADDHDRS | SMFIF_SETSYMLIST)

#define NEGOTIATE_STEPS \
	(SMFIP_NOHELO | SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOBODY | \
	SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NR_CONN | SMFIP_NR_MAIL)

#define NEGOTIATE_MACROS(X) \
	X(SMFIM_CONNECT, "{daemon_name}") \
	X(SMFIM_ENVFROM, "i {auth_authen} {daemon_name}") \
	X(SMFIM_ENVRCPT, "i") \
	X(SMFIM_DATA, "i") \
	X(SMFIM_EOH, "i") \
	X(SMFIM_EOM, "i")

#endif
