import { parseModelName, schemaName } from './schema-names.js';

describe('upstream schema names', () => {
  it.each([
    ['V1Deployment', 'io.k8s.api.apps.v1.Deployment'],
    ['V1PodSpec', 'io.k8s.api.core.v1.PodSpec'],
    ['V1PodTemplateSpec', 'io.k8s.api.core.v1.PodTemplateSpec'],
    ['V1ObjectMeta', 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'],
    ['V1LabelSelector', 'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector'],
    ['V1Status', 'io.k8s.apimachinery.pkg.apis.meta.v1.Status'],
    ['V1Scale', 'io.k8s.api.autoscaling.v1.Scale'],
    ['V1Eviction', 'io.k8s.api.policy.v1.Eviction'],
    ['V1Binding', 'io.k8s.api.core.v1.Binding'],
    ['V1LeaseSpec', 'io.k8s.api.coordination.v1.LeaseSpec'],
    ['CoreV1Event', 'io.k8s.api.core.v1.Event'],
    ['EventsV1Event', 'io.k8s.api.events.v1.Event'],
    ['CoreV1EndpointPort', 'io.k8s.api.core.v1.EndpointPort'],
    ['DiscoveryV1EndpointPort', 'io.k8s.api.discovery.v1.EndpointPort'],
    ['V2HorizontalPodAutoscaler', 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler'],
    [
      'ApiextensionsV1ServiceReference',
      'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.ServiceReference',
    ],
  ])('%s is %s', (model, expected) => {
    expect(schemaName(model)).toBe(expected);
  });

  it.each([
    ['V1PodSpec', { groupPrefix: '', version: 'v1', name: 'PodSpec' }],
    ['V1beta1DeviceClass', { groupPrefix: '', version: 'v1beta1', name: 'DeviceClass' }],
    ['CoreV1Event', { groupPrefix: 'Core', version: 'v1', name: 'Event' }],
    ['IntOrString', undefined],
  ])('parses %s', (model, expected) => {
    expect(parseModelName(model)).toEqual(expected);
  });
});
