/** Opens a URL in the user's browser, best effort: a headless machine simply has none. */
import { spawn } from 'node:child_process';

export function browserCommand(platform: NodeJS.Platform = process.platform): { command: string; args: string[] } {
  if (platform === 'darwin') return { command: 'open', args: [] };
  // `start` is a cmd builtin; the empty string is the window title it would otherwise take from the URL.
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', ''] };
  return { command: 'xdg-open', args: [] };
}

/** Never throws and never keeps this process alive: a missing opener is ignored. */
export function openBrowser(url: string): void {
  const { command, args } = browserCommand();
  try {
    const child = spawn(command, [...args, url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener on this machine: the user has the printed link.
  }
}
