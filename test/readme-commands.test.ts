/**
 * The README's commands table against the CLI as oclif loads it (our commands from the generated
 * manifest, plugin commands from theirs): every visible command has a row, every row is a command, and
 * each row names exactly the command's flags, required ones bare and optional ones in brackets, and its
 * arguments. A command or flag added, renamed or made optional without the README fails here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Config } from '@oclif/core';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.js';

interface Usage {
  flags: Record<string, 'required' | 'optional'>;
  args: string[];
}

/** The rows (`| \`dags create\\|update --env E --file F.yaml\` | ... |`) of the table under "### Commands". */
export function readmeCommands(readme: string): Map<string, Usage> {
  const lines = readme.slice(readme.indexOf('### Commands')).split('\n');
  const first = lines.findIndex((line) => line.startsWith('| Command'));
  const end = lines.findIndex((line, i) => i > first && !line.startsWith('|'));
  const rows = new Map<string, Usage>();
  for (const line of lines.slice(first, end === -1 ? undefined : end)) {
    const cell = /^\| `([^`]+)` \|/.exec(line)?.[1];
    if (!cell) continue;
    const words = cell.replace(/\\\|/g, '|').split(/\s+/);
    const commandWords: string[] = [];
    while (words.length > 0 && /^[a-z][a-z|-]*$/.test(words[0]!)) commandWords.push(words.shift()!);
    const usage: Usage = { flags: {}, args: [] };
    for (let i = 0; i < words.length; i++) {
      const flag = /^(\[)?--([a-z][a-z-]*)(\])?$/.exec(words[i]!);
      if (flag) {
        usage.flags[flag[2]!] = flag[1] ? 'optional' : 'required';
        // The flag's value (`--env E`, `[--try N]`) when the flag does not close its own bracket.
        if (!flag[3] && words[i + 1] !== undefined && !/^\[|^--/.test(words[i + 1]!)) i++;
        continue;
      }
      const arg = /^\[?([A-Z][A-Z_]*)\]?$/.exec(words[i]!);
      if (arg) usage.args.push(arg[1]!);
    }
    const last = commandWords.pop() ?? '';
    for (const alternative of last.split('|')) rows.set([...commandWords, alternative].join(' '), usage);
  }
  return rows;
}

describe('README commands table', () => {
  it('lists every command with exactly its flags and arguments', async () => {
    const config = await Config.load(REPO_ROOT);
    const actual = new Map<string, Usage>();
    for (const command of config.commands.filter((c) => !c.hidden)) {
      const flags: Usage['flags'] = {};
      for (const [name, flag] of Object.entries(command.flags)) {
        if (!flag.hidden) flags[name] = flag.required ? 'required' : 'optional';
      }
      actual.set(command.id.split(':').join(' '), { flags, args: Object.keys(command.args ?? {}).map((a) => a.toUpperCase()) });
    }
    const documented = readmeCommands(fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8'));
    expect([...documented.keys()].sort()).toEqual([...actual.keys()].sort());
    for (const [id, usage] of actual) expect({ id, ...documented.get(id) }).toEqual({ id, ...usage });
  });

  it('reads a row the way the check needs: alternatives, required and optional flags, arguments', () => {
    const rows = readmeCommands(
      ['### Commands', '', '| Command | What |', '|---|---|', '| `dags pause\\|unpause --env E [--json]` | x |', '| `autocomplete [SHELL] [--refresh-cache]` | y |', '', 'after'].join('\n'),
    );
    expect(rows.get('dags pause')).toEqual({ flags: { env: 'required', json: 'optional' }, args: [] });
    expect(rows.get('dags unpause')).toEqual(rows.get('dags pause'));
    expect(rows.get('autocomplete')).toEqual({ flags: { 'refresh-cache': 'optional' }, args: ['SHELL'] });
    expect(rows.size).toBe(3);
  });
});
