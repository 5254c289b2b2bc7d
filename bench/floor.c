/*
 * The floor of the wide benchmark: the work the operating system itself charges for each try that the
 * issue requires of airflow-serverless (its own process group, `bash -c <command>` as BashOperator runs
 * it, and a log file in a folder of its own as Airflow lays logs out), with no orchestration at all: no
 * database, no state, no second process. `jobs` such tries, `parallelism` at a time, as `make -j` runs
 * its targets. No orchestrator that keeps those per-try duties can run the benchmark faster than this.
 *
 *   floor <jobs> <parallelism> <folder> <command>
 *
 * Prints one JSON line: {"ms": <wall milliseconds>}. bench/wide.mjs compiles it with `cc -O2`.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int start_try(const char *folder, int index, char *const argv[]) {
  char dir[4096], log[4200];
  snprintf(dir, sizeof dir, "%s/task_id=t%04d", folder, index);
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    perror(dir);
    return -1;
  }
  snprintf(log, sizeof log, "%s/attempt=1.log", dir);

  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_APPEND, 0666);
  posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);

  pid_t pid;
  int error = posix_spawnp(&pid, argv[0], &files, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    fprintf(stderr, "floor: cannot start %s: %s\n", argv[0], strerror(error));
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: floor <jobs> <parallelism> <folder> <command>\n");
    return 2;
  }
  int jobs = atoi(argv[1]), parallelism = atoi(argv[2]);
  char *const command[] = {"bash", "-c", argv[4], NULL};
  if (jobs < 1 || parallelism < 1) {
    fprintf(stderr, "floor: jobs and parallelism must be positive\n");
    return 2;
  }

  double started_at = now_ms();
  int started = 0, running = 0;
  while (started < jobs || running > 0) {
    while (running < parallelism && started < jobs) {
      if (start_try(argv[3], started, command) != 0) return 1;
      started++;
      running++;
    }
    int status;
    if (wait(&status) < 0) {
      perror("wait");
      return 1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "floor: a try failed (status %d)\n", status);
      return 1;
    }
    running--;
  }
  printf("{\"ms\": %.3f}\n", now_ms() - started_at);
  return 0;
}
