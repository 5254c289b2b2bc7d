/**
 * The forking helper's program (Perl; the Node side is forking-helper.ts). One helper per task process
 * starts that process's operators: forking a small Perl process costs a fraction of forking Node (whose
 * fork copies the page tables of a 60 MB heap while the event loop waits), and one helper that lives as
 * long as its task process replaces a guard process per operator start.
 *
 * Started as `perl -e PROGRAM <prctl syscall number, 0 if unknown> <task process pid>`, stdin and stdout
 * connected to the task process. Messages from the task process are `<byte length>\n<body>`, the body's
 * fields separated by NUL (no field can hold one: they are C strings for execve):
 *   S id cwd log argc argv... env...   start argv (argv[0] is the command, looked up on the env's PATH)
 *   F id                               the try is over: forget its group (its id may be reused later)
 * Replies are lines: `R` (ready), `P id pid start` (started; the pid is also the group's id, `start` the
 * leader's start time from /proc/<pid>/stat, read before it can be reaped, `-` if unreadable), `E id
 * message` (could not start: nothing runs), `X id code signal forgotten` (the leader ended and was reaped;
 * `-` stands for the absent one of code and signal; `forgotten` is 1 when no process of the group was
 * left, so the helper forgot the group itself and no `F` is needed, else 0).
 *
 * The child: its own process group, the cwd, the log opened with O_APPEND on fds 1 and 2 (the task log
 * writes its own lines with O_APPEND too, so they interleave and the file's size brackets the output),
 * stdin from /dev/null, default signal handlers, exactly the given environment, exec. A failure before the
 * exec reaches the helper through a close-on-exec pipe (so the reply is `E`, as a failed spawn is); a
 * failed exec is the command's own failure, as in a shell: the message in the log and exit code 127.
 *
 * Parent death: the helper asks Linux for SIGTERM when the task process dies (prctl PR_SET_PDEATHSIG, by
 * syscall number) and also treats EOF on stdin as that death. Then it SIGKILLs every group it started and
 * has not been told to forget, and exits: no operator outlives a killed task process. A SIGTERM, SIGINT or
 * SIGHUP while the task process lives is meant for the task process's group (a cancel, Ctrl-C): the task
 * process passes it on to its operators' groups itself, so the helper stays for their exit statuses.
 *
 * No modules beyond strict and Errno: POSIX alone costs ~30 ms at every start of a cold task process.
 * Every write is syswrite (nothing buffered that a fork could duplicate); WNOHANG is 1 on Linux.
 */
export const FORKING_HELPER_PROGRAM = String.raw`
use strict;
$0 = 'airflow-serverless-forker';
my ($prctl, $parent) = @ARGV;
my %groups;  # request id -> process group id, until the task process forgets it
my %leaders; # leader pid -> request id, until its exit is reported

sub end_all {
  my @pgids = values %groups;
  kill('KILL', map { -$_ } @pgids) if @pgids;
  exit 0;
}

sub reply {
  my ($line) = @_;
  my $done = 0;
  while ($done < length $line) {
    my $n = syswrite(STDOUT, $line, length($line) - $done, $done);
    if (!defined $n) { next if $!{EINTR}; end_all(); } # the task process is gone
    $done += $n;
  }
}

sub reap {
  for my $pid (keys %leaders) {
    my $got = waitpid($pid, 1); # WNOHANG
    next if $got == 0 || ($got < 0 && $!{EINTR});
    my $status = $got < 0 ? 255 << 8 : $?; # < 0 cannot happen (our child, reaped only here): never hang on it
    my $id = delete $leaders{$pid};
    # Nothing left in the group (ESRCH): it cannot gain members again, so there is nothing to end later.
    my $empty = !kill(0, -$pid) && $!{ESRCH};
    delete $groups{$id} if $empty;
    my $signal = $status & 127;
    my $forgotten = $empty ? 1 : 0;
    reply($signal ? "X $id - $signal $forgotten\n" : "X $id " . ($status >> 8) . " - $forgotten\n");
  }
}

# Field 22 of /proc/<pid>/stat (after the parenthesised command name): the start time, in clock ticks.
sub start_time {
  my ($pid) = @_;
  open(my $fh, '<', "/proc/$pid/stat") or return '-';
  my $stat = do { local $/; <$fh> };
  close($fh);
  my ($rest) = $stat =~ /.*\)\s(.*)\z/s or return '-'; # the last ')': a command name may hold one
  my @fields = split(' ', $rest);
  return defined $fields[19] ? $fields[19] : '-';
}

sub child {
  my ($status_w, $cwd, $log, $argv, $env) = @_;
  my $fail = sub { syswrite($status_w, "$_[0]: $!"); exit 127; };
  $SIG{$_} = 'DEFAULT' for qw(TERM INT HUP PIPE CHLD);
  setpgrp(0, 0) or $fail->('setpgid');
  chdir($cwd) or $fail->("chdir $cwd");
  # Perl keeps fds 0-2 for the standard handles when they are reopened.
  open(STDOUT, '>>', $log) or $fail->("open $log");
  open(STDERR, '>&', \*STDOUT) or $fail->('dup');
  open(STDIN, '<', '/dev/null') or $fail->('open /dev/null');
  %ENV = ();
  for my $pair (@$env) {
    my ($name, $value) = split(/=/, $pair, 2);
    $ENV{$name} = $value;
  }
  exec { $argv->[0] } @$argv;
  syswrite(STDERR, "$argv->[0]: $!\n");
  exit 127;
}

sub start {
  my ($id, $cwd, $log, $argc, @rest) = @_;
  my @argv = splice(@rest, 0, $argc);
  my ($status_r, $status_w);
  pipe($status_r, $status_w) or return reply("E $id pipe: $!\n");
  my $pid = fork();
  if (!defined $pid) {
    my $error = "$!";
    close($status_r);
    close($status_w);
    return reply("E $id fork: $error\n");
  }
  child($status_w, $cwd, $log, \@argv, \@rest) if $pid == 0;
  close($status_w);
  # EOF once the child has exec'd (the pipe is close-on-exec) or exited; a message if it failed first.
  my $failure = '';
  while (1) {
    my $n = sysread($status_r, $failure, 4096, length $failure);
    next if !defined $n && $!{EINTR};
    last if !$n;
  }
  close($status_r);
  if ($failure ne '') {
    1 while waitpid($pid, 0) < 0 && $!{EINTR};
    $failure =~ s/\n/ /g;
    return reply("E $id $failure\n");
  }
  $groups{$id} = $pid;
  $leaders{$pid} = $id;
  reply("P $id $pid " . start_time($pid) . "\n");
}

sub handle {
  my ($type, $id, @fields) = @_;
  if ($type eq 'S') {
    start($id, @fields);
  } elsif ($type eq 'F') {
    delete $groups{$id};
  }
}

my $on_stop = sub { end_all() if getppid() != $parent };
$SIG{$_} = $on_stop for qw(TERM INT HUP);
$SIG{PIPE} = 'IGNORE';
# A handler, so a child's exit interrupts select (EINTR) and the loop reaps at once.
$SIG{CHLD} = sub {};
syscall($prctl + 0, 1, 15) if $prctl; # prctl(PR_SET_PDEATHSIG, SIGTERM)
end_all() if getppid() != $parent; # the task process died before the request took effect
reply("R\n");

my $input = '';
while (1) {
  reap();
  my $readable = '';
  vec($readable, 0, 1) = 1;
  # Perl runs signal handlers between operations, so a SIGCHLD that lands just before select does not
  # interrupt it; while a reaped exit may be pending, the timeout bounds how late it is reported.
  my $n = select($readable, undef, undef, %leaders ? 0.2 : undef);
  if ($n < 0) { next if $!{EINTR}; end_all(); }
  next if $n == 0;
  my $got = sysread(STDIN, $input, 65536, length $input);
  if (!defined $got) { next if $!{EINTR} || $!{EAGAIN}; end_all(); }
  end_all() if $got == 0; # EOF: the task process is gone
  while ($input =~ /\A(\d+)\n/) {
    my ($length, $head) = ($1, length($1) + 1);
    last if length($input) < $head + $length;
    my $body = substr($input, $head, $length);
    substr($input, 0, $head + $length, '');
    handle(split(/\0/, $body, -1));
  }
}
`;
