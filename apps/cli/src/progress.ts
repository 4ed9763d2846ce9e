/** A progress bar on stderr for multi-chunk work, shown only when stderr is a terminal. */
import { SingleBar } from 'cli-progress';
import type { FetchProgress } from '@wecom-kf-stats/core';

export interface ProgressReporter {
  update(progress: FetchProgress): void;
  /** Whether a bar is on screen. */
  active(): boolean;
  /** Show a status (a wait and its reason) in the bar until the next update. */
  say(text: string): void;
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
          format: 'Fetching {bar} {value}/{total} chunks | {days}/{totalDays} days {status}',
          barsize: 30,
          hideCursor: true,
          clearOnComplete: true,
        });
        bar.start(p.totalChunks, 0, { days: p.completedDays, totalDays: p.totalDays, status: '' });
      }
      bar.setTotal(p.totalChunks);
      bar.update(p.completedChunks, { days: p.completedDays, totalDays: p.totalDays, status: '' });
    },
    active: () => bar !== undefined,
    say(text) {
      bar?.update({ status: `| ${text}` });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
