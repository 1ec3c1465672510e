// The pod sandbox's first process for HASteward's real node, as Kubernetes' own pause image has it
// (kubernetes/kubernetes build/pause/linux/pause.c): it holds the pod's namespaces, reaps the
// zombies of the processes that share its PID namespace, and exits at once on SIGINT or SIGTERM.
// `sleep infinity` would do neither. Built static (gcc -static) into an image of one file.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int signal_number) { _exit(signal_number == SIGTERM ? 0 : 128 + signal_number); }

static void on_child(int signal_number) {
  (void)signal_number;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction stop = {.sa_handler = on_stop};
  struct sigaction child = {.sa_handler = on_child, .sa_flags = SA_NOCLDSTOP};
  if (sigaction(SIGINT, &stop, NULL) != 0 || sigaction(SIGTERM, &stop, NULL) != 0 ||
      sigaction(SIGCHLD, &child, NULL) != 0) {
    return 1;
  }
  for (;;) pause();
}
