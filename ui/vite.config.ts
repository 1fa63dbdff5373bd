// Vite builds the UI into ui/dist for the Tauri shell; vitest reuses this config for unit tests.
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  // Relative asset paths so dist/ works from Tauri's custom protocol and any static server.
  base: './',
  clearScreen: false,
  server: { host: '127.0.0.1', port: 1420, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173 },
  build: { outDir: 'dist', target: 'es2022', emptyOutDir: true },
  // Runes in .svelte.ts stores need the browser build of svelte under vitest.
  resolve: mode === 'test' ? { conditions: ['browser'] } : undefined,
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
}));
