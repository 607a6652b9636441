import { StepReporter } from './step-reporter.js';

function recorder(isTTY: boolean) {
  const chunks: string[] = [];
  let now = 0;
  const reporter = new StepReporter({ write: (t: string) => chunks.push(t), isTTY }, () => (now += 250));
  return { reporter, text: () => chunks.join('') };
}

describe('StepReporter', () => {
  it('writes one plain line per finished step off a terminal, with the detail and the time', async () => {
    const { reporter, text } = recorder(false);
    expect(
      await reporter.step(
        'etcd',
        async () => 'url',
        (url) => `at ${url}`,
      ),
    ).toBe('url');
    reporter.skip('kubelet', 'disabled');
    reporter.warn('Docker is not reachable');
    expect(text()).toBe(
      '[up] etcd ready: at url (0.3 s)\n[up] kubelet skipped: disabled\n[up] warning: Docker is not reachable\n',
    );
  });

  it('on a terminal, turns the step line into a tick in place', async () => {
    const { reporter, text } = recorder(true);
    await reporter.step('API server', async () => undefined);
    expect(text()).toBe('  … API server\r\x1b[2K  ✓ API server (0.3 s)\n');
  });

  it('marks a failed step and rethrows its error', async () => {
    const { reporter, text } = recorder(false);
    await expect(
      reporter.step('etcd', async () => {
        throw new Error('port taken');
      }),
    ).rejects.toThrow('port taken');
    expect(text()).toBe('[up] etcd failed (0.3 s)\n');
  });
});
