import { CommandError, runCommand } from './netns-command.js';
import { IptablesError } from './iptables.js';
import { NftablesError } from './nftables.js';

describe('runCommand', () => {
  it('feeds stdin and returns exit code, stdout and stderr', async () => {
    const script =
      "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{console.log(s.toUpperCase());console.error('warn');process.exit(3)})";
    const result = await runCommand([process.execPath, '-e', script], 'hello');
    expect(result).toEqual({ exitCode: 3, stdout: 'HELLO\n', stderr: 'warn\n' });
  });

  it('names the packages to install when the binary is missing', async () => {
    await expect(runCommand(['kubicle-no-such-binary-iptables-restore'])).rejects.toThrow(
      'install the Debian packages iptables and iproute2',
    );
  });
});

describe('CommandError', () => {
  it.each([
    [IptablesError, 'IptablesError'],
    [NftablesError, 'NftablesError'],
  ])('is the base of %p, named after the tool', (ErrorClass, name) => {
    const error = new ErrorClass('nft -f - failed', ['nft', '-f', '-'], 1, 'boom');
    expect(error).toBeInstanceOf(CommandError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error).toEqual(
      expect.objectContaining({ command: ['nft', '-f', '-'], exitCode: 1, stderr: 'boom' }),
    );
  });
});
