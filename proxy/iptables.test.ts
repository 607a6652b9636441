import { Iptables, IptablesError, offendingLine } from './iptables.js';
import type { CommandResult } from './netns-command.js';

interface Call {
  argv: readonly string[];
  stdin: string | undefined;
}

function recorder(result: Partial<CommandResult> = {}) {
  const calls: Call[] = [];
  const exec = async (argv: readonly string[], stdin?: string): Promise<CommandResult> => {
    calls.push({ argv, stdin });
    return { exitCode: 0, stdout: '', stderr: '', ...result };
  };
  return { calls, exec };
}

describe('Iptables', () => {
  it('runs every command inside the given network namespace', async () => {
    const { calls, exec } = recorder({ stdout: '*nat\nCOMMIT\n' });
    const iptables = new Iptables({ netns: 'kubicle-test-1', exec });
    expect(await iptables.save('nat')).toBe('*nat\nCOMMIT\n');
    await iptables.restore('*filter\nCOMMIT\n');
    await iptables.setSysctl('net.ipv4.conf.all.route_localnet', '1');
    expect(calls).toEqual([
      { argv: ['ip', 'netns', 'exec', 'kubicle-test-1', 'iptables-save', '-t', 'nat'], stdin: undefined },
      {
        argv: ['ip', 'netns', 'exec', 'kubicle-test-1', 'iptables-restore', '-w', '5', '--noflush'],
        stdin: '*filter\nCOMMIT\n',
      },
      {
        argv: ['ip', 'netns', 'exec', 'kubicle-test-1', 'tee', '/proc/sys/net/ipv4/conf/all/route_localnet'],
        stdin: '1\n',
      },
    ]);
  });

  it('runs in the current namespace without one, with the configured lock wait', async () => {
    const { calls, exec } = recorder();
    await new Iptables({ exec, lockWaitSeconds: 1 }).restore('x');
    expect(calls[0].argv).toEqual(['iptables-restore', '-w', '1', '--noflush']);
  });

  it("throws iptables' own message together with the line it complains about", async () => {
    const { exec } = recorder({
      exitCode: 2,
      stderr:
        "iptables-restore v1.8.9 (nf_tables): Chain 'KUBE-NOPE' does not exist\nError occurred at line: 3\nTry `iptables-restore -h' for more information.\n",
    });
    const error = await new Iptables({ exec })
      .restore('*nat\n:KUBE-A - [0:0]\n-A KUBE-A -j KUBE-NOPE\nCOMMIT\n')
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(IptablesError);
    const iptablesError = error as IptablesError;
    expect(iptablesError.message).toContain("Chain 'KUBE-NOPE' does not exist");
    expect(iptablesError.message).toContain('input line 3: -A KUBE-A -j KUBE-NOPE');
    expect(iptablesError.exitCode).toBe(2);
  });

  it('fails a save that exits non-zero instead of returning partial output', async () => {
    const { exec } = recorder({
      exitCode: 1,
      stdout: '*nat\n',
      stderr: 'Permission denied (you must be root)',
    });
    await expect(new Iptables({ exec }).save('nat')).rejects.toThrow('Permission denied (you must be root)');
    expect(await new Iptables({ exec }).available()).toBe(false);
  });

  it.each([['bad ns'], ['../x'], ['']])('refuses network namespace name %p', (netns) => {
    expect(() => new Iptables({ netns })).toThrow('invalid network namespace name');
  });

  it.each([['net/ipv4/ip_forward'], ['../../etc/passwd'], ['ip_forward']])(
    'refuses sysctl name %p',
    async (name) => {
      const { calls, exec } = recorder();
      await expect(new Iptables({ exec }).setSysctl(name, '1')).rejects.toThrow('invalid sysctl name');
      expect(calls).toEqual([]);
    },
  );
});

describe('offendingLine', () => {
  it.each([
    ['iptables-restore: line 2 failed', 2, ':KUBE-A - [0:0]'],
    ['Error occurred at line: 1', 1, '*nat'],
  ])('finds the line named in %p', (stderr, number, text) => {
    expect(offendingLine(stderr, '*nat\n:KUBE-A - [0:0]\nCOMMIT\n')).toEqual({ number, text });
  });

  it('gives nothing when no line is named or the number is past the input', () => {
    expect(offendingLine('something else', 'a')).toBeUndefined();
    expect(offendingLine('line 9 failed', 'a')).toBeUndefined();
  });
});
