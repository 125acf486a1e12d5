/*++
 * NAME
 *	milter_null 1
 * SUMMARY
 *	what libmilter alone costs Postfix
 * DESCRIPTION
 *	milter_null SOCKET
 *
 *	A libmilter milter with callbacks that decide nothing, for
 *	bench/milter.sh. It negotiates what bounceguard-milter negotiates
 *	(the same skipped steps, the same unanswered CONNECT and MAIL, the
 *	same macro lists), answers every RCPT with "continue" and at the
 *	end of each message makes the two changes bounceguard-milter makes
 *	to a stamped message: a new envelope sender and one added header.
 *	No store, no configuration, no logging.
 *
 *	Between this milter and bench/milter_floor.c (the same exchange
 *	without libmilter) lies what libmilter's threads cost; between this
 *	one and bounceguard-milter, what our own work costs.
 * DIAGNOSTICS
 *	Exits 1 when it cannot listen on unix:SOCKET.
 *--*/
#include <sys/stat.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libmilter/mfapi.h>

#include "../milter/negotiate.h"

/* null_negotiate - the steps, actions and macros bounceguard-milter asks */
static sfsistat
null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	*pf0 = f0 & NEGOTIATE_ACTIONS;
	*pf1 = f1 & NEGOTIATE_STEPS;
	*pf2 = *pf3 = 0;
	if (f0 & SMFIF_SETSYMLIST) {
#define NULL_SYMLIST(stage, list) \
		(void)smfi_setsymlist(ctx, (stage), (char *)(list));
		NEGOTIATE_MACROS(NULL_SYMLIST)
#undef NULL_SYMLIST
	}
	return SMFIS_CONTINUE;
}

/* null_connect - nothing to remember, nothing to say */
static sfsistat
null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	return SMFIS_NOREPLY;
}

/* null_envfrom - nothing to check, nothing to say */
static sfsistat
null_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_NOREPLY;
}

/* null_envrcpt - every recipient passes */
static sfsistat
null_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

/* null_eom - the two changes of a stamped message */
static sfsistat
null_eom(SMFICTX *ctx)
{
	(void)smfi_chgfrom(ctx,
	    (char *)"b-abcdefabcdefabcd-rcpt=example.net@bounces.example.com",
	    NULL);
	(void)smfi_addheader(ctx, (char *)"X-Bounceguard-Sender",
	    (char *)"news@example.com");
	return SMFIS_CONTINUE;
}

static struct smfiDesc null_desc = {
	.xxfi_name = (char *)"milter_null",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = NEGOTIATE_ACTIONS,
	.xxfi_connect = null_connect,
	.xxfi_envfrom = null_envfrom,
	.xxfi_envrcpt = null_envrcpt,
	.xxfi_eom = null_eom,
	.xxfi_negotiate = null_negotiate,
};

/* null_stacks - bounceguard-milter's 512 KB thread stacks, so the C
   library keeps and reuses libmilter's threads as it does there */
static void
null_stacks(void)
{
	pthread_attr_t a;

	if (pthread_attr_init(&a) != 0)
		return;
	if (pthread_attr_setstacksize(&a, 512 * 1024) == 0)
		(void)pthread_setattr_default_np(&a);
	pthread_attr_destroy(&a);
}

int
main(int argc, char **argv)
{
	char	 conn[300];
	int	 n;

	if (argc != 2) {
		fprintf(stderr, "usage: milter_null SOCKET\n");
		return 2;
	}
	n = snprintf(conn, sizeof(conn), "unix:%s", argv[1]);
	if (n < 0 || (size_t)n >= sizeof(conn) ||
	    smfi_setconn(conn) != MI_SUCCESS ||
	    smfi_register(null_desc) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS || chmod(argv[1], 0666) != 0) {
		fprintf(stderr, "milter_null: cannot listen on %s\n", conn);
		return 1;
	}
	null_stacks();
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
