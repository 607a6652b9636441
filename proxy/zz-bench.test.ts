import { buildRuleset } from './ruleset.js';
import { Iptables } from './iptables.js';
import { Proxier } from './proxier.js';
import { runCommand } from './iptables.js';
it('bench', async () => {
  const services = [], endpoints = [];
  for (let i = 0; i < 1000; i++) {
    const ip = `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
    services.push({ metadata: { namespace: 'default', name: `s${i}` }, spec: { type: 'NodePort', clusterIP: ip, ports: [{ name: 'http', port: 80, nodePort: 30000 + (i % 2000) }] } });
    endpoints.push({ metadata: { namespace: 'default', name: `s${i}` }, subsets: [{ addresses: Array.from({ length: 10 }, (_, j) => ({ ip: `10.244.${i >> 4}.${(i & 15) * 16 + j}` })), ports: [{ name: 'http', port: 8080 }] }] });
  }
  let t = Date.now();
  const text = buildRuleset({ services, endpoints });
  console.log('build ms', Date.now() - t, 'bytes', text.length, 'lines', text.split('\n').length);
  const ns = 'kubicle-proxy-bench-' + process.pid;
  await runCommand(['ip', 'netns', 'add', ns]);
  try {
    const p = new Proxier(new Iptables({ netns: ns }));
    t = Date.now(); await p.sync({ services, endpoints }); console.log('first sync ms', Date.now() - t);
    t = Date.now(); await p.sync({ services, endpoints }); console.log('second sync ms', Date.now() - t);
    endpoints[5].subsets[0].addresses.pop();
    t = Date.now(); await p.sync({ services, endpoints }); console.log('sync after change ms', Date.now() - t);
  } finally { await runCommand(['ip', 'netns', 'del', ns]); }
});
