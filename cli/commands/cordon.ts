/**
 * `kubicle cordon NODE...` and `kubicle uncordon NODE...`: kubectl's `cordon` and `uncordon`, by name
 * or by `-l` label selector. The two differ only in the value they give spec.unschedulable.
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

const OPTIONS = { ...SESSION_OPTIONS, selector: { type: 'string', short: 'l' } } as const;

/** The command that sets spec.unschedulable to `unschedulable` on the nodes named or selected. */
export function nodeSchedulingCommand(
  verb: 'cordon' | 'uncordon',
  unschedulable: boolean,
  description: string,
  summary: string,
): Command {
  const usage = `Usage: kubicle ${verb} NODE... | -l SEL [options]

${description}

Options:
  -l, --selector SEL      the nodes matching a label selector

${SESSION_HELP}`;
  const run = async (argv: string[]): Promise<void> => {
    await runVerb(async () => {
      const { values, positionals } = parseVerbArgs(argv, OPTIONS, usage);
      if (positionals.length === 0 && !values.selector) throw new UsageError(`USAGE: ${verb} NODE [flags]`);
      const session = openSession(values);
      const names = [...positionals];
      if (values.selector) {
        const nodes = await session.client.list('v1', 'Node', { labelSelector: values.selector });
        names.push(...nodes.items.map((n) => n.metadata.name ?? ''));
      }
      for (const name of names) {
        process.stdout.write(`${await setUnschedulable(session, name, unschedulable)}\n`);
      }
    });
  };
  return { summary, run };
}

export const cordonCommand = nodeSchedulingCommand(
  'cordon',
  true,
  'Mark nodes unschedulable: new pods are not scheduled onto them, running pods stay.',
  'Mark nodes unschedulable (kubectl cordon)',
);
