/** Share of predictions (score ≥ threshold → positive) equal to the label. */
export function accuracy(scores: readonly number[], labels: readonly boolean[], threshold = 0.5): number {
  if (scores.length !== labels.length) throw new Error(`accuracy: ${scores.length} scores for ${labels.length} labels`);
  if (scores.length === 0) return Number.NaN;
  let right = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i]! >= threshold === labels[i]) right++;
  return right / scores.length;
}

/**
 * ROC-AUC: the probability that a random positive scores above a random negative, ties counted
 * half (Mann-Whitney U with mid-ranks). NaN when one class is missing.
 */
export function rocAuc(scores: readonly number[], labels: readonly boolean[]): number {
  if (scores.length !== labels.length) throw new Error(`rocAuc: ${scores.length} scores for ${labels.length} labels`);
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]![0] === order[start]![0]) end++;
    const midRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]![1]]) {
        positives++;
        rankSum += midRank;
      }
    }
    start = end + 1;
  }
  const negatives = scores.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
