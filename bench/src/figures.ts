export interface Figure {
  name: string;
  value: number;
  unit: 'ms' | 'ratio' | 'calls' | 'days' | 'µs' | 'calls/min' | 'count' | 'req/s';
  note?: string;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
