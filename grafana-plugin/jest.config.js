// Jest as @grafana/create-plugin sets it up (.config/jest.config.js): SWC compiles TypeScript,
// jsdom stands in for the browser, and the ES-module-only packages Grafana's libraries pull in
// are compiled too. Dates print in UTC whatever the machine's zone.
const path = require('path');

process.env.TZ = 'UTC';

// Nested dependencies of @grafana/* that ship only ES modules.
const grafanaESModules = [
  '.pnpm',
  '@grafana/schema',
  '@wojtekmaj/date-utils',
  'd3',
  'd3-color',
  'd3-force',
  'd3-interpolate',
  'd3-scale-chromatic',
  'get-user-locale',
  'marked',
  'memoize',
  'mimic-function',
  'ol',
  'react-calendar',
  'react-colorful',
  'rxjs',
  'uuid',
];

module.exports = {
  moduleNameMapper: {
    '\\.(css|scss|sass)$': 'identity-obj-proxy',
    'react-inlinesvg': path.resolve(__dirname, 'jest', 'mocks', 'react-inlinesvg.tsx'),
  },
  modulePaths: ['<rootDir>/src'],
  setupFilesAfterEnv: ['<rootDir>/jest/setup.js'],
  testEnvironment: 'jest-environment-jsdom',
  testMatch: ['<rootDir>/src/**/*.{spec,test}.{js,jsx,ts,tsx}'],
  // d3-color ships only .mjs, which SWC compiles like the rest.
  transform: {
    '^.+\\.(t|j)sx?$|^.+\\.mjs$': [
      '@swc/jest',
      {
        sourceMaps: 'inline',
        jsc: {
          parser: { syntax: 'typescript', tsx: true, decorators: false, dynamicImport: true },
          // d3-color ships only .mjs, which SWC compiles like the rest.
          transform: { react: { runtime: 'automatic' } },
        },
      },
    ],
  },
  transformIgnorePatterns: [`node_modules/(?!.*(${grafanaESModules.join('|')})/.*)`],
  testTimeout: 30000,
  watchPathIgnorePatterns: ['<rootDir>/node_modules', '<rootDir>/dist'],
};
