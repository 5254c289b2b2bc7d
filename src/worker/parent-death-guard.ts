/**
 * The fallback guard for hosts where no forking helper (forking-helper.ts) can run:
 * makes an operator's process group die with the task process that started it. The operator runs in its
 * own process group (so a timeout reaches everything it started), which also means the kernel does not end
 * it when the task process is SIGKILLed: it would finish its work as an orphan while the tick declares the
 * try a zombie and dispatches the retry, and the work would be done twice, sometimes at the same moment.
 *
 * Node cannot set a parent-death signal on a child, so the group's leader is a small Python guard, one per
 * start (~20 ms each): it asks Linux for SIGTERM when its parent dies (`prctl(PR_SET_PDEATHSIG)` through
 * ctypes), starts the operator's command as its child, and on that signal SIGKILLs its whole group. A
 * SIGTERM while its parent lives is the task process stopping the group itself (timeout, cancel): the
 * command gets it too, and the guard only waits. The guard exits as its command did (same code, or the
 * same signal), so callers see the command's status. Without Linux or python3 the command runs unguarded;
 * the tick still ends a zombie's recorded process group before its retry (see providers/local/end-try.ts).
 */
import { executablesOnPath, findPythonInterpreter } from './find-on-path.js';

const GUARD_SOURCE = `
import os, signal, sys
parent = os.getppid()
def orphaned():
    return os.getppid() != parent
def on_term(signum, frame):
    if orphaned():
        os.killpg(0, signal.SIGKILL)
signal.signal(signal.SIGTERM, on_term)
try:
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
except Exception:
    pass
if orphaned():  # the parent died before the request took effect
    os.killpg(0, signal.SIGKILL)
pid = os.fork()
if pid == 0:
    for s in (signal.SIGTERM, signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(s, signal.SIG_DFL)
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    except OSError as error:
        os.write(2, ("%s: %s\\n" % (sys.argv[1], error.strerror)).encode())
    os._exit(127)
status = os.waitpid(pid, 0)[1]
if os.WIFSIGNALED(status):
    try:
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
    except (OSError, ValueError):
        pass  # SIGKILL and SIGSTOP cannot be caught, so they are already the default
    os.kill(os.getpid(), os.WTERMSIG(status))
sys.exit(os.WEXITSTATUS(status))
`;

let guardPython: string | null | undefined;

/** A python3 for the guard: the interpreter itself where there is one (see find-on-path.ts), else any python3. */
function findGuardPython(): string | null {
  if (guardPython !== undefined) return guardPython;
  return (guardPython = findPythonInterpreter() ?? executablesOnPath('python3')[0] ?? null);
}

/** The command line that runs `command args` under the guard, or the command itself where none can run. */
export function guardedCommand(command: string, args: readonly string[]): { command: string; args: string[] } {
  if (process.platform !== 'linux') return { command, args: [...args] };
  const python = findGuardPython();
  if (python === null) return { command, args: [...args] };
  // -I: ignore PYTHON* variables and user site (the operator's env is not the guard's business); -S: no site.
  return { command: python, args: ['-I', '-S', '-c', GUARD_SOURCE, command, ...args] };
}
