// What jsdom lacks and Grafana's components use (create-plugin's .config/jest-setup.js).
import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';
import { TextEncoder, TextDecoder } from 'util';

// The machine running the tests may be busy: a page that answers in 1 s on a quiet machine
// (testing-library's default wait) can take several on a loaded one. Nothing here is timed.
configure({ asyncUtilTimeout: 10000 });

Object.assign(global, { TextDecoder, TextEncoder });

Object.defineProperty(global, 'matchMedia', {
  writable: true,
  value: (query) => ({
    matches: false,
    media: query,
    onchange: null,
    addListener: jest.fn(),
    removeListener: jest.fn(),
    addEventListener: jest.fn(),
    removeEventListener: jest.fn(),
    dispatchEvent: jest.fn(),
  }),
});

HTMLCanvasElement.prototype.getContext = () => {};

// @grafana/ui's Select watches its menu with these; jsdom has neither.
class NoObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
global.IntersectionObserver = global.IntersectionObserver || NoObserver;
global.ResizeObserver = global.ResizeObserver || NoObserver;
