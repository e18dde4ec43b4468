import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [preact({ devtoolsInProd: false, prefreshEnabled: false })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    modulePreload: { polyfill: false },
  },
  server: {
    // `npm run dev -w packages/web` against `parley serve` on PARLEY_HTTPS (default 8443).
    proxy: {
      '/api': { target: `https://127.0.0.1:${process.env.PARLEY_HTTPS ?? 8443}`, secure: false },
      '/sip': { target: `wss://127.0.0.1:${process.env.PARLEY_HTTPS ?? 8443}`, ws: true, secure: false },
    },
  },
});
