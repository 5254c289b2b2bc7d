import { Flags } from '@oclif/core';
import { changeBackfill } from '../../../service/backfills.js';
import { UserInputError } from '../../../service/errors.js';
import { EnvCommand, envFlag, jsonFlag } from '../../base-command.js';
import { printJson, printLine } from '../../output.js';

export default class BackfillCancel extends EnvCommand {
  static override description = 'Cancel a backfill: its queued runs are marked failed, running ones finish, and no more start.';

  static override examples = ['<%= config.bin %> backfill cancel --env dev --id 3'];

  static override flags = {
    ...envFlag,
    id: Flags.integer({ summary: 'The backfill id (see `backfill list`).', required: true, min: 1, helpValue: 'N' }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BackfillCancel);
    const done = await changeBackfill(await this.environment(flags.env), flags.id, 'cancel', { waitMs: 10_000 });
    if (done.result && !done.result.ok) throw new UserInputError(done.result.message);
    if (flags.json) return printJson(done);
    printLine(done.result?.message ?? `Queued the cancel of backfill ${flags.id} (command ${done.command_id}); the next tick applies it.`);
  }
}
