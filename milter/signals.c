/*++
 * NAME
 *	signals 3
 * SUMMARY
 *	the signal thread
 * DESCRIPTION
 *	libmilter runs its own signal thread for SIGHUP, SIGINT and SIGTERM
 *	(each stops smfi_main()). signals_block() blocks those and SIGUSR1
 *	in the calling thread before any other thread exists, so that every
 *	thread inherits the mask and no signal lands in a thread that does
 *	not expect it; SIGPIPE is ignored. signals_start() runs a thread
 *	that waits for SIGUSR1 with sigwait() and reloads the configuration,
 *	outside any signal handler.
 *--*/
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>

#include "libbase.h"
#include "milter.h"

static pthread_t sig_thread;
static bool sig_running;
static volatile bool sig_stop;
static char *sig_path;

/* signals_block - block our signals in every thread to come */
void
signals_block(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* signals_main - wait for SIGUSR1 and reload */
static void *
signals_main(void *arg)
{
	sigset_t set;
	int	 sig;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	while (!sig_stop) {
		if (sigwait(&set, &sig) != 0 || sig_stop)
			continue;
		log_info("reload: SIGUSR1 received");
		(void)rt_reload(sig_path);
	}
	return NULL;
}

/* signals_start - start the reload thread for a configuration file */
void
signals_start(const char *path)
{
	sig_path = xstrdup(path);
	if (pthread_create(&sig_thread, NULL, signals_main, NULL) != 0)
		fatalx("cannot start the signal thread");
	sig_running = true;
}

/* signals_stop - stop the reload thread */
void
signals_stop(void)
{
	if (!sig_running)
		return;
	sig_stop = true;
	pthread_kill(sig_thread, SIGUSR1);
	pthread_join(sig_thread, NULL);
	sig_running = false;
	free(sig_path);
	sig_path = NULL;
}
