/** A progress bar on stderr for multi-chunk work, shown only when stderr is a terminal. */
import { SingleBar } from 'cli-progress';
import type { FetchProgress } from '@wecom-kf-stats/core';

export interface ProgressReporter {
  update(progress: FetchProgress): void;
  stop(): void;
}

export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean }, enabled: boolean): ProgressReporter {
  let bar: SingleBar | undefined;
  return {
    update(p) {
      if (!enabled || !stream.isTTY || p.totalChunks < 2) return;
      if (!bar) {
        bar = new SingleBar({
          stream,
          format: 'Fetching {bar} {value}/{total} chunks | {days}/{totalDays} days',
          barsize: 30,
          hideCursor: true,
          clearOnComplete: true,
        });
        bar.start(p.totalChunks, 0, { days: p.completedDays, totalDays: p.totalDays });
      }
      bar.update(p.completedChunks, { days: p.completedDays, totalDays: p.totalDays });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
