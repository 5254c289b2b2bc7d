/**
 * The forking helper's program in Python (the Perl one and the protocol: forking-helper-program.ts; the
 * Node side: forking-helper.ts). Same messages, same child set-up, same parent-death rule; what differs is
 * how a child starts. `os.posix_spawn` is glibc's posix_spawn, which clones with CLONE_VM|CLONE_VFORK: the
 * child shares the helper's memory until it execs, so no page tables are copied and no copy-on-write faults
 * follow. Perl can only fork(). Where a fork is dear (measured on this project's 2-core VMs: fork + exec of
 * `bash -c true` from a 10 MB interpreter costs ~13 ms of CPU, posix_spawn ~5 ms, about what make pays per
 * job) that is most of an operator start, so a process that starts many operators (a warm worker) uses
 * this helper; it costs ~25 ms more than Perl to start, which a one-try task process would not earn back.
 *
 * Started as `python3 -I -S -c PROGRAM <1 on Linux, else 0> <task process pid> [exit grace in seconds]` with
 * an empty environment. After a start the helper waits up to the exit grace (default 20 ms) for the command
 * to end, and if it does, writes its `P` and `X` replies together: a wide DAG's commands mostly end at once,
 * and one wake-up of the task process then serves both (it also writes no RUNNING record for what is over).
 * posix_spawn has no chdir, so the helper (single-threaded, one start at a time) changes its own working
 * directory around each start. The log is opened here (a failure is an `E` reply, nothing runs) and
 * dup2'd onto the child's fds 1 and 2. A failed exec is the command's own failure, as in a shell and as
 * the Perl helper does it: a child in its own group writes the message into the log and exits 127.
 *
 * A child's exit reaches the select loop through `signal.set_wakeup_fd` (the C-level handler writes a byte
 * at once), so there is no window in which a SIGCHLD is noticed late.
 */
export const PYTHON_FORKING_HELPER_PROGRAM = String.raw`
import os, select, signal, sys, time
linux, parent = sys.argv[1] == '1', int(sys.argv[2])
EXIT_GRACE = float(sys.argv[3]) if len(sys.argv) > 3 else 0.02
groups = {}    # request id -> process group id, until the task process (or an empty group) forgets it
leaders = {}   # leader pid -> request id, until its exit is reported
RESET = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE, signal.SIGXFSZ, signal.SIGCHLD)

def end_all():
    for pgid in list(groups.values()):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass
    os._exit(0)

outbox = []    # reply lines not yet written: written together, so one wake-up of the task process reads them

def reply(line):
    outbox.append(line)

def flush():
    data = ''.join(outbox).encode('utf-8', 'surrogateescape')
    outbox.clear()
    while data:
        try:
            data = data[os.write(1, data):]
        except OSError:
            end_all()  # the task process is gone

def group_empty(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True  # no process left in it: it cannot gain members again
    except OSError:
        pass
    return False

def reap():
    for pid in list(leaders):
        try:
            got, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            got, status = pid, 255 << 8  # cannot happen (our child, reaped only here): never hang on it
        if got == 0:
            continue
        rid = leaders.pop(pid)
        forgotten = group_empty(pid)
        if forgotten:
            groups.pop(rid, None)
        if os.WIFSIGNALED(status):
            reply('X %s - %d %d\n' % (rid, os.WTERMSIG(status), forgotten))
        else:
            reply('X %s %d - %d\n' % (rid, os.WEXITSTATUS(status), forgotten))

def start_time(pid):
    # Field 22 of /proc/<pid>/stat, after the parenthesised command name: the start time in clock ticks.
    try:
        with open('/proc/%d/stat' % pid, 'rb') as stat:
            fields = stat.read().rpartition(b')')[2].split()
        return text(fields[19])
    except (OSError, IndexError):
        return '-'

def text(value):
    return value.decode('utf-8', 'surrogateescape')

def resolve(command, env):
    if b'/' in command:
        return command
    for directory in env.get(b'PATH', b'/usr/local/bin:/usr/bin:/bin').split(b':'):
        candidate = os.path.join(directory or b'.', command)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return command  # posix_spawn fails with ENOENT below

def failed_exec(log_fd, command, error):
    pid = os.fork()  # rare: the cost of a fork does not matter here
    if pid == 0:
        try:
            os.setpgid(0, 0)
            os.write(log_fd, ('%s: %s\n' % (text(command), error.strerror)).encode('utf-8', 'surrogateescape'))
        finally:
            os._exit(127)
    return pid

def start(rid, cwd, log, argc, *rest):
    argc = int(argc)
    argv, pairs = list(rest[:argc]), rest[argc:]
    env = dict(pair.split(b'=', 1) for pair in pairs)
    try:
        log_fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError as error:
        return reply('E %s open %s: %s\n' % (rid, text(log), error.strerror))
    try:
        try:
            os.chdir(cwd)
        except OSError as error:
            return reply('E %s chdir %s: %s\n' % (rid, text(cwd), error.strerror))
        actions = [(os.POSIX_SPAWN_DUP2, log_fd, 1), (os.POSIX_SPAWN_DUP2, log_fd, 2), (os.POSIX_SPAWN_OPEN, 0, '/dev/null', os.O_RDONLY, 0)]
        try:
            pid = os.posix_spawn(resolve(argv[0], env), argv, env, file_actions=actions, setpgroup=0, setsigdef=RESET, setsigmask=())
        except OSError as error:
            pid = failed_exec(log_fd, argv[0], error)
    finally:
        os.close(log_fd)
        os.chdir('/')  # never keep a try's (temporary) folder busy
    groups[rid] = pid
    leaders[pid] = rid
    # A command that ends within the grace (most of a wide DAG's) is reported in the same write as its
    # start. The start time is read after that wait, from the zombie if it ended: reading /proc/<pid>/stat
    # of a child still in its exec waits for the exec to finish.
    deadline = time.monotonic() + EXIT_GRACE
    while not ended(pid):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        if select.select([wake_r], [], [], remaining)[0]:
            drain_wakeups()
    reply('P %s %d %s\n' % (rid, pid, start_time(pid)))
    reap()

def ended(pid):
    # WNOWAIT: the exit is only looked at; reap() collects it, after the start time is read.
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True

def drain_wakeups():
    try:
        os.read(wake_r, 4096)
    except BlockingIOError:
        pass

def handle(kind, rid, *fields):
    rid = text(rid)
    if kind == b'S':
        start(rid, *fields)
    elif kind == b'F':
        groups.pop(rid, None)

def on_stop(signum, frame):
    if os.getppid() != parent:
        end_all()

for stop in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(stop, on_stop)
wake_r, wake_w = os.pipe()
os.set_blocking(wake_r, False)
os.set_blocking(wake_w, False)
signal.set_wakeup_fd(wake_w)
signal.signal(signal.SIGCHLD, lambda signum, frame: None)
if linux:
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass  # EOF on stdin still tells the task process's death
if os.getppid() != parent:
    end_all()  # the task process died before the request took effect
reply('R\n')
flush()

pending = b''
while True:
    reap()
    flush()
    readable = select.select([0, wake_r], [], [])[0]
    if wake_r in readable:
        drain_wakeups()
    if 0 not in readable:
        continue
    chunk = os.read(0, 65536)
    if not chunk:
        end_all()  # EOF: the task process is gone
    pending += chunk
    while True:
        newline = pending.find(b'\n')
        if newline < 0:
            break
        length = int(pending[:newline])
        if len(pending) < newline + 1 + length:
            break
        body = pending[newline + 1:newline + 1 + length]
        pending = pending[newline + 1 + length:]
        handle(*body.split(b'\0'))
`;
