export interface CheckResult {
  check: string;
  ok: boolean;
  message: string;
}
export const NOT_RUN_OFFLINE: string[];
export function readZip(zipPath: string): Record<string, Buffer>;
export function checkPluginArchive(archive: string | Record<string, Buffer>, sourceDir?: string): CheckResult[];
