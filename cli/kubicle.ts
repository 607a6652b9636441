#!/usr/bin/env node
/**
 * The `kubicle` command: dispatches to one module per subcommand under `cli/commands/`, loaded only
 * when used so that a command starts no faster or slower because of the others.
 */
import type { Command } from './command-kit.js';
import { fail } from './command-kit.js';

const COMMANDS: Record<string, () => Promise<Command>> = {
  up: async () => (await import('./commands/up.js')).upCommand,
  down: async () => (await import('./commands/down.js')).downCommand,
  server: async () => (await import('./commands/server.js')).serverCommand,
  images: async () => (await import('./commands/images.js')).imagesCommand,
  proxy: async () => (await import('./commands/proxy.js')).proxyCommand,
  scheduler: async () => (await import('./commands/scheduler.js')).schedulerCommand,
  'controller-manager': async () =>
    (await import('./commands/controller-manager.js')).controllerManagerCommand,
  agent: async () => (await import('./commands/agent.js')).agentCommand,
  apply: async () => (await import('./commands/apply.js')).applyCommand,
  get: async () => (await import('./commands/get.js')).getCommand,
  describe: async () => (await import('./commands/describe.js')).describeCommand,
  delete: async () => (await import('./commands/delete.js')).deleteCommand,
  logs: async () => (await import('./commands/logs.js')).logsCommand,
  scale: async () => (await import('./commands/scale.js')).scaleCommand,
  rollout: async () => (await import('./commands/rollout.js')).rolloutCommand,
  cordon: async () => (await import('./commands/cordon.js')).cordonCommand,
  uncordon: async () => (await import('./commands/uncordon.js')).uncordonCommand,
  drain: async () => (await import('./commands/drain.js')).drainCommand,
  events: async () => (await import('./commands/events.js')).eventsCommand,
  kubectl: async () => (await import('./commands/kubectl.js')).kubectlCommand,
};

async function usage(): Promise<string> {
  const lines = await Promise.all(
    Object.entries(COMMANDS).map(async ([name, load]) => `  ${name.padEnd(20)} ${(await load()).summary}`),
  );
  return `Usage: kubicle <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'kubicle <command> --help' for a command's options.`;
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h')
    return console.log(await usage());
  const load = COMMANDS[name];
  if (!load) fail(`unknown command "${name}"\n${await usage()}`);
  try {
    await (await load()).run(rest);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
}

void main(process.argv.slice(2));
