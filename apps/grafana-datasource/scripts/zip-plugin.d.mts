export function zipPlugin(options?: { distDir?: string; outDir?: string }): {
  zipPath: string;
  id: string;
  version: string;
  sha1: string;
  files: string[];
};
