/**
 * `kubicle uncordon NODE...`: kubectl's `uncordon`, by name or by `-l` label selector.
 */
import { nodeSchedulingCommand } from './cordon.js';

export const uncordonCommand = nodeSchedulingCommand(
  'uncordon',
  false,
  'Mark nodes schedulable again.',
  'Mark nodes schedulable again (kubectl uncordon)',
);
