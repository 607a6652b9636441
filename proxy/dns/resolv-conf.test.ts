import { parseResolvConf, upstreamServers } from './resolv-conf.js';

describe('parseResolvConf', () => {
  it('reads nameservers, the last search line and ndots, ignoring comments', () => {
    const text = [
      '# generated',
      'nameserver 10.0.0.2',
      'search old.example',
      'nameserver 10.0.0.3 ; trailing comment',
      'search default.svc.cluster.local svc.cluster.local cluster.local',
      'options ndots:5 timeout:2',
      'nameserver 10.0.0.4',
      'nameserver 10.0.0.5',
    ].join('\n');
    expect(parseResolvConf(text)).toEqual({
      nameservers: ['10.0.0.2', '10.0.0.3', '10.0.0.4'],
      search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      ndots: 5,
    });
  });

  it('defaults to ndots 1 and nothing else', () => {
    expect(parseResolvConf('')).toEqual({ nameservers: [], search: [], ndots: 1 });
  });
});

describe('upstreamServers', () => {
  it.each([
    [['10.0.0.2'], [], [{ address: '10.0.0.2', port: 53 }]],
    [
      ['10.0.0.2:5353', ' 8.8.8.8 '],
      [],
      [
        { address: '10.0.0.2', port: 5353 },
        { address: '8.8.8.8', port: 53 },
      ],
    ],
    [['::1', 'fe80::1%eth0', 'dns.example', '300.1.1.1'], [], []],
    [
      ['127.0.0.1', '10.96.0.10', '1.1.1.1'],
      ['127.0.0.1:53', '10.96.0.10:53'],
      [{ address: '1.1.1.1', port: 53 }],
    ],
  ])('%j excluding %j → %j', (entries, exclude, expected) => {
    expect(upstreamServers(entries, exclude)).toEqual(expected);
  });
});
