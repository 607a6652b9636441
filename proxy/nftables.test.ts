import { Nftables, NftablesError, offendingScriptLine } from './nftables.js';
import type { CommandExecutor, CommandResult } from './netns-command.js';

function fakeExec(results: Partial<CommandResult>[]): {
  exec: CommandExecutor;
  calls: [string[], string?][];
} {
  const calls: [string[], string?][] = [];
  const exec: CommandExecutor = async (argv, stdin) => {
    calls.push([[...argv], stdin]);
    return { exitCode: 0, stdout: '', stderr: '', ...(results.shift() ?? {}) };
  };
  return { exec, calls };
}

describe('Nftables', () => {
  it('applies a script on the stdin of one nft -f -, inside the namespace when given', async () => {
    const { exec, calls } = fakeExec([{}]);
    await new Nftables({ netns: 'lab-1', exec }).apply('add table ip kubicle\n');
    expect(calls).toEqual([[['ip', 'netns', 'exec', 'lab-1', 'nft', '-f', '-'], 'add table ip kubicle\n']]);
  });

  it('reports a failure with nft message and the offending line', async () => {
    const stderr = '/dev/stdin:2:1-5: Error: Could not process rule: No such file or directory';
    const { exec } = fakeExec([{ exitCode: 1, stderr }]);
    const error = await new Nftables({ exec })
      .apply('add table ip kubicle\nflush chain ip kubicle x\n')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NftablesError);
    expect((error as NftablesError).message).toBe(
      `nft -f - failed (exit 1): ${stderr}\nscript line 2: flush chain ip kubicle x`,
    );
  });

  it.each([
    ['table ip filter\ntable ip kubicle\n', true],
    ['table ip filter\ntable ip kubicle-other\n', false],
    ['', false],
  ])('finds its table in %j: %s', async (listing, found) => {
    const { exec } = fakeExec([{ stdout: listing }]);
    expect(await new Nftables({ exec }).hasTable()).toBe(found);
  });

  it('deletes its table only when there is one', async () => {
    const { exec, calls } = fakeExec([{ stdout: 'table ip kubicle\n' }, {}, { stdout: '' }]);
    const nft = new Nftables({ exec });
    expect(await nft.deleteTable()).toBe(true);
    expect(calls[1]).toEqual([['nft', '-f', '-'], 'add table ip kubicle\ndelete table ip kubicle\n']);
    expect(await nft.deleteTable()).toBe(false);
    expect(calls).toHaveLength(3);
  });

  it('names the problem when nft cannot be used', async () => {
    const { exec } = fakeExec([{ exitCode: 1, stderr: 'Error: Operation not permitted\n' }]);
    expect(await new Nftables({ exec }).problem()).toMatch(
      /nft list tables ip failed \(exit 1\): Error: Operation not permitted/,
    );
  });

  it('refuses names that would reach a shell or another namespace', () => {
    expect(() => new Nftables({ netns: 'a b' })).toThrow(/invalid network namespace/);
  });
});

describe('offendingScriptLine', () => {
  it.each([
    ['/dev/stdin:3:23-29: Error: No such file or directory', 3, 'c'],
    ['/dev/stdin:1:1: Error: syntax error', 1, 'a'],
    ['Error: Could not process rule: Device or resource busy', undefined, undefined],
  ])('reads %j', (stderr, number, text) => {
    expect(offendingScriptLine(stderr, 'a\nb\nc\n')).toEqual(
      number === undefined ? undefined : { number, text },
    );
  });
});
