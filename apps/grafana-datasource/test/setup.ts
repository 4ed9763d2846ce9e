// jsdom lacks a few browser APIs that @grafana/ui touches while rendering. (Files that run in the
// node environment, such as the Chromium test, have no window: nothing to add there.)
import { afterEach } from 'vitest';
import { cleanup } from '@testing-library/react';

if (typeof window !== 'undefined') {
  if (!window.matchMedia) {
    Object.defineProperty(window, 'matchMedia', {
      writable: true,
      value: (query: string) => ({
        matches: false,
        media: query,
        onchange: null,
        addListener: () => {},
        removeListener: () => {},
        addEventListener: () => {},
        removeEventListener: () => {},
        dispatchEvent: () => false,
      }),
    });
  }

  // Text measurement in @grafana/ui asks a 2D canvas context for measureText.
  HTMLCanvasElement.prototype.getContext = function getContext() {
    return { measureText: (text: string) => ({ width: text.length * 7 }), font: '' } as unknown as CanvasRenderingContext2D;
  } as unknown as typeof HTMLCanvasElement.prototype.getContext;

  class ObserverStub {
    readonly root = null;
    readonly rootMargin = '';
    readonly thresholds = [];
    observe(): void {}
    unobserve(): void {}
    disconnect(): void {}
    takeRecords(): [] {
      return [];
    }
  }
  // Layout observers (menus' scroll indicators, resizable panes) have nothing to observe in jsdom.
  if (!('ResizeObserver' in window)) Object.defineProperty(window, 'ResizeObserver', { writable: true, value: ObserverStub });
  if (!('IntersectionObserver' in window)) Object.defineProperty(window, 'IntersectionObserver', { writable: true, value: ObserverStub });

  afterEach(() => cleanup());
}
