/** The etcd that global setup started for this test run. */
export function testEtcdUrl(): string {
  const url = process.env.KUBICLE_TEST_ETCD;
  if (!url) throw new Error('KUBICLE_TEST_ETCD is not set: run integration tests through jest (npm test)');
  return url;
}
