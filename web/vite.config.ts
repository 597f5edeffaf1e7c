import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// The bundle the binary embeds (src/http/console.rs): everything under dist/, hashed names under
// assets/ (served immutable), no source maps, no external URLs.
export default defineConfig({
  plugins: [preact()],
  base: "/",
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
  server: { proxy: { "/api": "http://127.0.0.1:8080" } },
});
