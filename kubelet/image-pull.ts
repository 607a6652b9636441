/**
 * Whether to pull a container's image before starting it: upstream's imagePullPolicy rules
 * (EnsureImageExists) with its pull backoff, plus one deliberate difference for a machine without a
 * registry: an image that is present but has no registry digest was built or imported locally (as
 * `kubicle images` does), so there is nothing to pull it from and it is used as it is, even under
 * `Always`. Otherwise `image: busybox`, whose policy defaults to Always, could never start offline.
 */
import type { Backoff } from './backoff.js';
import { imagePullBackoffKey } from './backoff.js';
import type { Container } from './api-types.js';
import type { ImageInfo } from './runtime/runtime.js';

export type ImagePullDecision =
  | { action: 'use'; message: string }
  | { action: 'pull'; message: string }
  | { action: 'fail'; reason: 'ErrImageNeverPull' | 'ImagePullBackOff'; message: string };

/** The apiserver defaults the policy; this repeats the default for pods that somehow lack it. */
export function imagePullPolicy(container: Pick<Container, 'image' | 'imagePullPolicy'>): string {
  if (container.imagePullPolicy) return container.imagePullPolicy;
  const image = container.image ?? '';
  const [name] = image.split('@', 1);
  const hasDigest = image.includes('@');
  const colon = name.lastIndexOf(':');
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : '';
  return (tag === '' && !hasDigest) || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export function decideImagePull(
  container: Pick<Container, 'image' | 'imagePullPolicy'>,
  present: ImageInfo | undefined,
  backoff: Backoff,
  podUid: string,
  now: number,
): ImagePullDecision {
  const image = container.image ?? '';
  const policy = imagePullPolicy(container);
  const alreadyPresent = {
    action: 'use',
    message: `Container image "${image}" already present on machine`,
  } as const;
  if (policy === 'Never') {
    if (present) return alreadyPresent;
    return {
      action: 'fail',
      reason: 'ErrImageNeverPull',
      message: `Container image "${image}" is not present with pull policy of Never`,
    };
  }
  if (present && (policy === 'IfNotPresent' || present.repoDigests.length === 0)) return alreadyPresent;
  if (backoff.isInBackOffSinceUpdate(imagePullBackoffKey(podUid, image), now)) {
    return { action: 'fail', reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` };
  }
  return { action: 'pull', message: `Pulling image "${image}"` };
}

/** After a failed pull: the next attempt waits (10 s, doubling to 5 min). */
export function recordImagePullFailure(backoff: Backoff, podUid: string, image: string, now: number): void {
  backoff.next(imagePullBackoffKey(podUid, image), now);
}
