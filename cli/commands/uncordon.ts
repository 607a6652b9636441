/**
 * `kubicle uncordon NODE...`: kubectl's `uncordon`, by name or by `-l` label selector.
 */
import type { Command } from '../command-kit.js';
import { setUnschedulable } from '../node-cordon.js';
import {
  SESSION_HELP,
  SESSION_OPTIONS,
  UsageError,
  openSession,
  parseVerbArgs,
  runVerb,
} from '../verb-kit.js';

const USAGE = `Usage: kubicle uncordon NODE... | -l SEL [options]

Mark nodes schedulable again.

Options:
  -l, --selector SEL      the nodes matching a label selector

${SESSION_HELP}`;

const OPTIONS = { ...SESSION_OPTIONS, selector: { type: 'string', short: 'l' } } as const;

async function run(argv: string[]): Promise<void> {
  await runVerb(async () => {
    const { values, positionals } = parseVerbArgs(argv, OPTIONS, USAGE);
    if (positionals.length === 0 && !values.selector) throw new UsageError('USAGE: uncordon NODE [flags]');
    const session = openSession(values);
    const names = [...positionals];
    if (values.selector) {
      const nodes = await session.client.list('v1', 'Node', { labelSelector: values.selector });
      names.push(...nodes.items.map((n) => n.metadata.name ?? ''));
    }
    for (const name of names) process.stdout.write(`${await setUnschedulable(session, name, false)}\n`);
  });
}

export const uncordonCommand: Command = {
  summary: 'Mark nodes schedulable again (kubectl uncordon)',
  run,
};
