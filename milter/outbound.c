/*++
 * NAME
 *	outbound 3
 * SUMMARY
 *	which mail is outbound
 * DESCRIPTION
 *	outbound_reason() applies the configured criteria, any one of
 *	which makes a message outbound: a SASL login ({auth_authen}), a
 *	client address in outbound_networks, a sender domain in
 *	outbound_sender_domains, a receiving service named in
 *	outbound_daemons ({daemon_name}), and local submission through
 *	sendmail(1), which Postfix shows to non_smtpd_milters as a
 *	connection from localhost[127.0.0.1] with port 0. It returns the
 *	name of the criterion that matched, for the logs, or NULL for
 *	inbound mail. The null sender is never outbound.
 *--*/
#include <netinet/in.h>
#include <string.h>

#include "milter.h"

/* outbound_reason - why a message is outbound, or NULL */
const char *
outbound_reason(const struct config *cfg, const struct outbound_facts *f)
{
	if (f->sender_domain == NULL || f->sender_domain[0] == '\0')
		return NULL;
	if (cfg->outbound_authenticated && f->auth_authen != NULL &&
	    f->auth_authen[0] != '\0')
		return "authenticated";
	if (cfg->outbound_local_submission && f->local)
		return "local";
	if (f->client != NULL && cfg->outbound_networks.n > 0 &&
	    cidrlist_match(&cfg->outbound_networks, f->client))
		return "network";
	if (cfg->outbound_sender_domains.n > 0 &&
	    strlist_contains(&cfg->outbound_sender_domains, f->sender_domain))
		return "sender_domain";
	if (f->daemon_name != NULL && cfg->outbound_daemons.n > 0 &&
	    strlist_contains(&cfg->outbound_daemons, f->daemon_name))
		return "daemon";
	return NULL;
}
