/** Reads a quantile out of a Prometheus histogram's text exposition (upper bound of the bucket). */

export function histogramQuantile(text: string, name: string, q: number): number {
  const buckets: Array<{ le: number; count: number }> = [];
  const pattern = new RegExp(`^${name}_bucket\\{[^}]*le="([^"]+)"[^}]*\\} (\\d+(?:\\.\\d+)?)`, "m");
  for (const line of text.split("\n")) {
    const match = pattern.exec(line);
    if (match) buckets.push({ le: match[1] === "+Inf" ? Infinity : Number(match[1]), count: Number(match[2]) });
  }
  buckets.sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  for (const bucket of buckets) if (bucket.count >= rank) return bucket.le;
  return Infinity;
}
