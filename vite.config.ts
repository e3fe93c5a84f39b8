// Builds the page islands in frontend/ into src/pacetrack/web/static/dist/, served at
// /static/dist/ and shipped as package data. File names carry no hash: the Jinja
// templates name them directly, and the served files change only with a new install.
import { defineConfig } from "vite";

export default defineConfig({
  publicDir: false,
  build: {
    outDir: "src/pacetrack/web/static/dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    rollupOptions: {
      input: {
        studio: "frontend/studio/main.ts",
        board: "frontend/board/main.ts",
        live: "frontend/live/main.ts",
      },
      output: {
        entryFileNames: "[name].js",
        chunkFileNames: "chunks/[name].js",
        assetFileNames: "[name][extname]",
      },
    },
  },
});
