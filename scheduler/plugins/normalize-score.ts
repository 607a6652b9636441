/**
 * pluginhelper.DefaultNormalizeScore: scales scores so the highest becomes `maxPriority`; with `reverse`
 * the lowest raw score gets the highest normalized score. Integer arithmetic truncates as in Go.
 */
export function defaultNormalizeScore(maxPriority: number, reverse: boolean, scores: number[]): void {
  let maxCount = 0;
  for (const score of scores) {
    if (score > maxCount) maxCount = score;
  }
  if (maxCount === 0) {
    if (reverse) scores.fill(maxPriority);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const scaled = Math.trunc((maxPriority * scores[i]) / maxCount);
    scores[i] = reverse ? maxPriority - scaled : scaled;
  }
}
